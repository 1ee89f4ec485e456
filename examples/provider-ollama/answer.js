// @ts-check
/**
 * Ollama's answers as OpenAI chunks and completions. A stream is JSON lines: each
 * `{"message":{"content":"…"},"done":false}` a piece, the last `{"done":true,"done_reason":…}`
 * with the token counts; a line `{"error":"…"}` is the server giving up mid-answer.
 */
import { NdjsonParser, UpstreamError, finishChunk, makeChunk, usageChunk } from 'switchboard';

/** @typedef {import('switchboard').ChatChunk} ChatChunk */
/** @typedef {import('switchboard').ChatCompletion} ChatCompletion */
/** @typedef {import('switchboard').Usage} Usage */

/**
 * @typedef {object} OllamaLine
 * @property {string} [model]
 * @property {{ role?: string, content?: string, thinking?: string, tool_calls?: { function: { name: string, arguments: unknown } }[] }} [message]
 * @property {boolean} [done]
 * @property {string} [done_reason]
 * @property {number} [prompt_eval_count]
 * @property {number} [eval_count]
 * @property {string} [error]
 */

/** @param {string | undefined} reason @param {boolean} calledTools */
const finishReason = (reason, calledTools) => (calledTools ? 'tool_calls' : reason === 'length' ? 'length' : 'stop');

/** @param {OllamaLine} line @returns {Usage} */
const usageOf = (line) => {
  const prompt = line.prompt_eval_count ?? 0;
  const completion = line.eval_count ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
};

/** @param {unknown} value @returns {OllamaLine} */
function checked(value) {
  if (!value || typeof value !== 'object') throw UpstreamError.malformed('Ollama sent a line that is not a JSON object');
  const line = /** @type {OllamaLine} */ (value);
  if (typeof line.error === 'string') throw new UpstreamError(`Ollama: ${line.error}`, { status: 500, body: JSON.stringify(line) });
  return line;
}

/**
 * @param {AsyncIterable<Buffer>} body
 * @param {{ id: string, created: number, model: string }} base
 * @param {boolean} includeUsage
 * @returns {AsyncGenerator<ChatChunk>}
 */
export async function* ollamaChunks(body, base, includeUsage) {
  const parser = new NdjsonParser({ source: 'Ollama' });
  let calls = 0;
  yield makeChunk(base, { role: 'assistant', content: '' });
  /** @param {unknown[]} values @returns {Generator<ChatChunk, boolean>} */
  function* take(values) {
    for (const v of values) {
      const line = checked(v);
      const m = line.message;
      if (m?.thinking) yield makeChunk(base, { reasoning_content: m.thinking });
      if (m?.content) yield makeChunk(base, { content: m.content });
      for (const t of m?.tool_calls ?? []) {
        const index = calls++;
        yield makeChunk(base, { tool_calls: [{ index, id: `call_${base.id.slice(-12)}_${index}`, type: 'function', function: { name: t.function.name, arguments: JSON.stringify(t.function.arguments ?? {}) } }] });
      }
      if (line.done) {
        yield finishChunk(base, finishReason(line.done_reason, calls > 0));
        if (includeUsage) yield usageChunk(base, usageOf(line));
        return true;
      }
    }
    return false;
  }
  for await (const bytes of body) if (yield* take(parser.feed(bytes))) return;
  if (yield* take(parser.end())) return;
  throw UpstreamError.malformed('Ollama ended the stream without its done line');
}

/**
 * The one object of a non-stream answer as a chat.completion.
 * @param {unknown} value
 * @param {{ id: string, created: number, model: string }} base
 * @returns {ChatCompletion}
 */
export function ollamaCompletion(value, base) {
  const line = checked(value);
  const m = line.message ?? {};
  const calls = (m.tool_calls ?? []).map((t, index) => ({ id: `call_${base.id.slice(-12)}_${index}`, type: /** @type {const} */ ('function'), function: { name: t.function.name, arguments: JSON.stringify(t.function.arguments ?? {}) } }));
  /** @type {ChatCompletion['choices'][number]['message']} */
  const message = { role: 'assistant', content: m.content || (calls.length ? null : '') };
  if (m.thinking) message.reasoning_content = m.thinking;
  if (calls.length) message.tool_calls = calls;
  return {
    id: base.id,
    object: 'chat.completion',
    created: base.created,
    model: base.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(line.done_reason, calls.length > 0) }],
    usage: usageOf(line),
  };
}
