/** The error object an OpenAI-style upstream puts in its error bodies. */
export interface UpstreamErrorObject {
  message?: string;
  type?: string;
  param?: string | null;
  code?: string | number | null;
}

/**
 * The upstream's own error object, from an OpenAI-style (or close enough) body: `{ error: {...} }`,
 * `{ error: "..." }`, `{ message }` or `{ detail }`; an HTML page or plain text becomes a short
 * message. Undefined for an empty body.
 */
export function upstreamErrorBody(body: string | undefined): UpstreamErrorObject | undefined {
  if (!body) return undefined;
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as Record<string, unknown>;
      const e = j.error;
      if (e && typeof e === 'object') return e as UpstreamErrorObject;
      if (typeof e === 'string') return { message: e };
      if (typeof j.message === 'string') return { message: j.message };
      if (typeof j.detail === 'string') return { message: j.detail };
    } catch {
      // not JSON after all: fall through to the text
    }
  }
  if (text.startsWith('<')) return { message: 'the upstream answered with an HTML page' };
  return text ? { message: text.replace(/\s+/g, ' ').slice(0, 300) } : undefined;
}
