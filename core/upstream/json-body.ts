import { UpstreamError } from './upstream-error.js';

/**
 * Cheap check that a body is a JSON object and not an in-band error; the text itself is
 * forwarded, so it is not parsed here.
 */
export function checkJsonObject(text: string, contentType: string): string {
  const t = text.trimEnd();
  if (!t.startsWith('{') || !t.endsWith('}')) {
    throw UpstreamError.malformed(`the upstream answered ${contentType || 'without a content type'}, not a JSON object`, text);
  }
  if (/^\{\s*"error"\s*:/.test(t)) throw new UpstreamError('the upstream reported an error', { body: t });
  return t;
}

/** A JSON object body, parsed; garbage becomes a malformed-response failure. */
export function parseJsonObject<T>(text: string, contentType: string): T {
  const t = checkJsonObject(text, contentType);
  try {
    return JSON.parse(t) as T;
  } catch {
    throw UpstreamError.malformed('the upstream answered with broken JSON', text);
  }
}
