// @ts-check
/** Unit tests of the provider's translation, calling chat() and complete() directly with fakeCall(). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertChunkOrder, fakeCall, foldChunks, TOOL_REPLY } from 'switchboard/testing';
import ollama from '../index.js';
import { startFakeOllama } from './fake-ollama.js';

/** @typedef {import('switchboard').ChatRequest} ChatRequest */

/** @type {Awaited<ReturnType<typeof startFakeOllama>>} */
let up;
/** @type {import('switchboard').Provider} */
let provider;

beforeAll(async () => {
  up = await startFakeOllama();
  const init = /** @type {any} */ ({ id: 'ollama', options: { baseUrl: up.url, connections: 2, discoveryTimeoutMs: 1000 }, credentials: [], configDir: '.', log: fakeCall().log });
  provider = await ollama.create(init);
});
afterAll(async () => {
  await provider.close?.();
  await up.close();
});

/** @param {Partial<ChatRequest>} extra @returns {ChatRequest} */
const request = (extra = {}) => /** @type {ChatRequest} */ ({ model: 'llama3.2:latest', messages: [{ role: 'user', content: 'Hi' }], ...extra });

describe('ollama provider', () => {
  it('sends sampling fields as Ollama options and the bearer token only when there is a credential', async () => {
    const chunks = [];
    for await (const c of provider.chat(request({ temperature: 0.2, max_tokens: 64, stop: 'END', stream: true }), fakeCall({ model: 'llama3.2:latest', credential: 'sk-proxy-key-000111222' }))) chunks.push(c);
    const body = up.calls[0].body;
    expect(body).toMatchObject({ model: 'llama3.2:latest', stream: true, options: { temperature: 0.2, num_predict: 64, stop: ['END'] } });
    expect(up.calls[0].headers.authorization).toBe('Bearer sk-proxy-key-000111222');
    assertChunkOrder(chunks, 'chat()');
    expect(foldChunks(chunks).content).toBe(up.reply?.pieces.join(''));
  });

  it('turns Ollama tool calls (arguments as objects) into OpenAI ones (arguments as JSON text)', async () => {
    up.next({ kind: 'reply', reply: TOOL_REPLY });
    const done = await provider.complete?.(request(), fakeCall({ model: 'llama3.2:latest' }));
    const c = /** @type {import('switchboard').ChatCompletion} */ (done);
    expect(c.choices[0].finish_reason).toBe('tool_calls');
    expect(c.choices[0].message.tool_calls?.[0].function).toEqual({ name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' });
    expect(c.usage).toEqual({ prompt_tokens: 23, completion_tokens: 9, total_tokens: 32 });
    expect(up.calls.at(-1)?.headers.authorization).toBeUndefined();
  });

  it('reads the models from /api/tags and calls an unknown model the client’s mistake', async () => {
    expect(await provider.listModels()).toEqual([{ id: 'llama3.2:latest', owned_by: 'ollama' }]);
    expect(provider.classify?.({ status: 404, body: '{"error":"model \\"nope\\" not found, try pulling it first"}', model: 'nope', error: new Error('404') })).toEqual({ kind: 'request_invalid', modelNotFound: true });
  });
});
