// @ts-check
/**
 * An OpenAI Chat Completions request as the body of Ollama's `POST /api/chat`: messages with
 * their text, images and tool calls, the sampling fields as Ollama `options`, tools as they are.
 */

/** @typedef {import('switchboard').ChatRequest} ChatRequest */
/** @typedef {import('switchboard').ChatMessage} ChatMessage */

/**
 * @typedef {object} OllamaMessage
 * @property {string} role
 * @property {string} content
 * @property {string[]} [images] base64, without a `data:` prefix
 * @property {{ function: { name: string, arguments: Record<string, unknown> } }[]} [tool_calls]
 * @property {string} [tool_name]
 */

/**
 * @param {ChatRequest} request
 * @param {{ stream: boolean, keepAlive?: string, defaults?: Record<string, unknown> }} how
 * @returns {Record<string, unknown>}
 */
export function toOllamaChat(request, how) {
  /** @type {Record<string, unknown>} */
  const options = { ...how.defaults };
  const set = (/** @type {string} */ key, /** @type {unknown} */ value) => {
    if (value !== undefined && value !== null) options[key] = value;
  };
  set('temperature', request.temperature);
  set('top_p', request.top_p);
  set('num_predict', request.max_completion_tokens ?? request.max_tokens);
  set('seed', request.seed);
  set('frequency_penalty', request.frequency_penalty);
  set('presence_penalty', request.presence_penalty);
  if (request.stop !== undefined && request.stop !== null) options.stop = Array.isArray(request.stop) ? request.stop : [request.stop];

  /** @type {Record<string, unknown>} */
  const body = { model: request.model, messages: request.messages.map(toOllamaMessage), stream: how.stream };
  if (Object.keys(options).length) body.options = options;
  if (request.tools?.length) body.tools = request.tools;
  const format = /** @type {{ type?: string, json_schema?: { schema?: unknown } } | undefined} */ (request.response_format);
  if (format?.type === 'json_object') body.format = 'json';
  else if (format?.type === 'json_schema' && format.json_schema?.schema) body.format = format.json_schema.schema;
  if (how.keepAlive) body.keep_alive = how.keepAlive;
  return body;
}

/**
 * @param {ChatMessage} m
 * @returns {OllamaMessage}
 */
function toOllamaMessage(m) {
  const msg = /** @type {any} */ (m);
  /** @type {OllamaMessage} */
  const out = { role: msg.role === 'developer' ? 'system' : msg.role, content: '' };
  if (typeof msg.content === 'string') out.content = msg.content;
  else if (Array.isArray(msg.content)) {
    const texts = [];
    for (const part of msg.content) {
      if (part?.type === 'text') texts.push(part.text);
      else if (part?.type === 'image_url') {
        // Ollama takes inline images only: a data URL's payload; a remote link cannot be sent.
        const url = String(part.image_url?.url ?? '');
        const data = /^data:[^;]+;base64,(.*)$/s.exec(url);
        if (data) (out.images ??= []).push(data[1]);
      }
    }
    out.content = texts.join('\n');
  }
  if (Array.isArray(msg.tool_calls)) {
    out.tool_calls = msg.tool_calls.map((/** @type {any} */ t) => ({ function: { name: t.function.name, arguments: parseArguments(t.function.arguments) } }));
  }
  if (msg.role === 'tool' && msg.name) out.tool_name = msg.name;
  return out;
}

/** @param {unknown} text */
function parseArguments(text) {
  if (typeof text !== 'string') return {};
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}
