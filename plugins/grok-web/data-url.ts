/** A `data:` URL's media type and bytes, or why it is not a usable image. */
export type DataImage = { mimeType: string; bytes: Buffer } | { problem: string };

/**
 * Decode `data:[<type>][;param]*[;base64],<data>` (RFC 2397) when it holds an image. Refused: a
 * type that is not `image/*`, base64 that does not decode, a malformed percent-escape, nothing at
 * all. The type is checked before anything is decoded.
 */
export function decodeDataImage(url: string): DataImage {
  const comma = url.indexOf(',');
  if (comma === -1) return { problem: 'is a data URL without a comma before its data' };
  const params = url.slice(5, comma).split(';');
  const mimeType = (params[0].trim() || 'text/plain').toLowerCase();
  if (!mimeType.startsWith('image/')) return { problem: `is a data URL of ${mimeType}, not an image` };
  const base64 = params.length > 1 && params[params.length - 1].trim().toLowerCase() === 'base64';
  const data = url.slice(comma + 1);
  let bytes: Buffer | undefined;
  if (base64) {
    bytes = Buffer.from(data, 'base64');
    // Node skips characters that are not base64; what it skipped shows as missing bytes.
    if (bytes.length !== Buffer.byteLength(data, 'base64')) return { problem: 'is a data URL whose base64 does not decode' };
  } else {
    bytes = percentDecoded(data);
    if (!bytes) return { problem: 'is a data URL with a malformed percent-escape (% not followed by two hex digits)' };
  }
  if (bytes.length === 0) return { problem: 'is a data URL with no data (an empty image)' };
  return { mimeType, bytes };
}

/** `%XX` escapes as bytes, the rest as UTF-8 (what a URL's characters stand for); undefined when an escape is malformed. */
function percentDecoded(s: string): Buffer | undefined {
  if (!s.includes('%')) return Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(Buffer.byteLength(s, 'utf8'));
  let at = 0;
  let from = 0;
  for (let i = s.indexOf('%'); i !== -1; i = s.indexOf('%', from)) {
    const byte = i + 2 < s.length ? hexByte(s.charCodeAt(i + 1), s.charCodeAt(i + 2)) : -1;
    if (byte < 0) return undefined;
    at += out.write(s.slice(from, i), at, 'utf8');
    out[at++] = byte;
    from = i + 3;
  }
  at += out.write(s.slice(from), at, 'utf8');
  return out.subarray(0, at);
}

function hexByte(a: number, b: number): number {
  const hi = hexDigit(a);
  const lo = hexDigit(b);
  return hi < 0 || lo < 0 ? -1 : (hi << 4) | lo;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
