/** The first `"model": "<id>"` of a JSON text: the top-level field of an OpenAI answer or chunk. */
const MODEL_FIELD = /"model"\s*:\s*"((?:[^"\\]|\\.)*)"/;

/**
 * The JSON text with its `model` renamed by `rename` (an upstream id back to the name clients
 * use), rewritten as text so a forwarded answer is not parsed and re-serialised. Unchanged text
 * when there is no model field or the name stays the same.
 */
export function renameModelField(json: string, rename: (id: string) => string): string {
  const m = MODEL_FIELD.exec(json);
  if (!m) return json;
  const id = m[1].indexOf('\\') === -1 ? m[1] : (JSON.parse(`"${m[1]}"`) as string);
  const name = rename(id);
  if (name === id) return json;
  return json.slice(0, m.index) + `"model":${JSON.stringify(name)}` + json.slice(m.index + m[0].length);
}
