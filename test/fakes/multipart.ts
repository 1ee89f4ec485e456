/**
 * Just enough multipart/form-data parsing for a fake upload route: the boundary from the
 * Content-Type, then each part's name, filename, content type and bytes. Part bodies are kept as
 * bytes (uploads are binary); no streaming, no nested multiparts, no `filename*` decoding.
 */

export interface MultipartPart {
  name: string;
  /** The Content-Disposition `filename`, when the part is a file. */
  filename?: string;
  /** The part's Content-Type, when it has one. */
  contentType?: string;
  bytes: Buffer;
}

/** The boundary of a multipart/form-data Content-Type, or undefined when it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const m = /;\s*boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return m ? (m[1] ?? m[2]) : undefined;
}

/** The parts of a multipart body; undefined when it is malformed (no opening or closing delimiter). */
export function parseMultipart(body: Buffer, boundary: string): MultipartPart[] | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at < 0) return undefined;
  const parts: MultipartPart[] = [];
  for (;;) {
    at += delimiter.length;
    // `--` right after a delimiter closes the body.
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts;
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a) return undefined;
    const headersEnd = body.indexOf('\r\n\r\n', at + 2);
    if (headersEnd < 0) return undefined;
    // The part's body runs up to CRLF + the next delimiter (the CRLF belongs to the delimiter).
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) return undefined;
    const headers = parseHeaders(body.subarray(at + 2, headersEnd).toString('utf8'));
    const disposition = headers['content-disposition'] ?? '';
    const name = param(disposition, 'name');
    if (name === undefined) return undefined;
    parts.push({ name, filename: param(disposition, 'filename'), contentType: headers['content-type'], bytes: body.subarray(headersEnd + 4, next) });
    at = next + 2;
  }
}

function parseHeaders(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** A `key="value"` (or bare `key=value`) parameter of a header value. */
function param(header: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|;)\\s*${key}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;]*))`, 'i').exec(header);
  if (!m) return undefined;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2].trim();
}
