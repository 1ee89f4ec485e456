// @ts-check
/**
 * A fake Ollama for the tests, built with the kit's scripted upstream: how Ollama's wire renders a
 * reply (a JSON line per piece, a final `done` line with the counts, the one object of a
 * non-stream answer, `{"error":…}` bodies) is said here once; the kit plays its scenarios with it.
 */
import { fakeUpstream } from 'switchboard/testing';

/** @typedef {import('switchboard/testing').Reply} Reply */
/** @typedef {import('switchboard/testing').ProtocolRequest} ProtocolRequest */

export const OLLAMA_MODEL = 'llama3.2:latest';
const CREATED_AT = '2026-08-01T12:00:00.000000Z';

/** @param {ProtocolRequest} req @param {Record<string, unknown>} message @param {boolean} done */
const line = (req, message, done) => ({ model: req.body?.model, created_at: CREATED_AT, message: { role: 'assistant', content: '', ...message }, done });

/** @param {Reply} r */
const counts = (r) => ({
  done_reason: r.finishReason === 'length' ? 'length' : 'stop',
  total_duration: 1_234_000_000,
  load_duration: 12_000_000,
  prompt_eval_count: r.usage.promptTokens,
  prompt_eval_duration: 100_000_000,
  eval_count: r.usage.completionTokens,
  eval_duration: 900_000_000,
});

/** @param {Reply['toolCalls']} calls */
const toolCalls = (calls) => (calls ?? []).map((c) => ({ function: { name: c.name, arguments: JSON.parse(c.arguments) } }));

/** @type {import('switchboard/testing').UpstreamProtocol} */
export const ollamaProtocol = {
  framing: 'ndjson',
  chat: 'POST /api/chat',
  // Ollama streams unless told not to.
  wantsStream: (req) => req.body?.stream !== false,
  text: (piece, _i, _r, req) => line(req, { content: piece }, false),
  toolCall: (c, _i, _r, req) => [line(req, { tool_calls: toolCalls([c]) }, false)],
  end: (r, req) => [{ ...line(req, {}, true), ...counts(r) }],
  json: (r, req) => ({ ...line(req, { content: r.pieces.join(''), ...(r.toolCalls && { tool_calls: toolCalls(r.toolCalls) }) }, true), ...counts(r) }),
  error: (_status, message) => ({ error: message }),
  routes: {
    'GET /api/tags': () => ({
      models: [{ name: OLLAMA_MODEL, model: OLLAMA_MODEL, modified_at: CREATED_AT, size: 2019393189, digest: 'a80c4f17acd5', details: { family: 'llama', parameter_size: '3.2B', quantization_level: 'Q4_K_M' } }],
    }),
  },
};

/** Start a fake Ollama on a loopback port. */
export const startFakeOllama = () => fakeUpstream(ollamaProtocol);
