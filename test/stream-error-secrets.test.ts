/**
 * A stream that fails after its first byte can only report it in a final SSE error event, and
 * that event quotes the upstream's own words. Upstreams echo credentials in their errors
 * ("Incorrect API key provided: sk-..."): the event must carry them scrubbed, like every other
 * error the client or a log sees.
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const KEY_IN_USE = 'sk-stream-secret-in-use-0123456789abcd';
const OTHER_KEY = 'sk-stream-secret-spare-0123456789wxyz';

const ADMIN = 'admin-secret-0123456789abcdef';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeEach(async () => {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard({
    auth: { apiKeys: ['sk-test-client'], adminKey: ADMIN },
    plugins: { 'token-admin': {} },
    providers: [
      {
        id: 'up',
        plugin: 'openai-compatible',
        baseUrl: upstream.url,
        credentials: [KEY_IN_USE, OTHER_KEY],
        timeouts: { firstByteMs: 5000, idleMs: 5000, totalMs: 10_000 },
        ...ONE_ATTEMPT,
      },
    ],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
});
afterEach(async () => {
  await sb?.close();
  await upstream?.close();
});

const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;

/** The upstream's complaint, quoting both of the provider's keys. */
const COMPLAINT = `Incorrect API key provided: ${KEY_IN_USE} (also tried ${OTHER_KEY})`;

/** Two ways an upstream reports a failure mid-stream: a data event holding an error, an `event: error`. */
const FAILURES: [string, string][] = [
  ['a data event with an error object', `data: ${JSON.stringify({ error: { message: COMPLAINT, type: 'server_error', param: null, code: 'internal_error' } })}\n\n`],
  ['an SSE `event: error` with plain text', `event: error\ndata: ${COMPLAINT}\n\n`],
];

/** POST a streaming request with fetch and return its status and raw SSE events. */
async function rawStream(): Promise<{ status: number; events: string[] }> {
  const res = await fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true }),
  });
  return { status: res.status, events: (await res.text()).split('\n\n').filter(Boolean) };
}

describe('the error event of a stream that fails mid-way', () => {
  for (const [name, failure] of FAILURES) {
    it(`carries the upstream's words with every key scrubbed: ${name}`, async () => {
      upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [chunk('Hel'), chunk('lo'), failure] });
      const r = await rawStream();
      expect(r.status).toBe(200); // committed: the failure can only go in the stream
      const last = r.events.at(-1)!;
      expect(last).toMatch(/^data: /);
      const error = (JSON.parse(last.slice(6)) as { error: { message: string; code: string } }).error;
      // the upstream's words are there, the keys are not
      expect(error.message).toContain('Incorrect API key provided: [redacted] (also tried [redacted])');
      const whole = r.events.join('\n\n');
      expect(whole).not.toContain(KEY_IN_USE);
      expect(whole).not.toContain(OTHER_KEY);
      expect(sb.logText()).not.toContain(KEY_IN_USE);
      expect(sb.logText()).not.toContain(OTHER_KEY);
      // and the credential's lastError in the stats, the same words scrubbed
      const stats = await (await fetch(`${sb.origin}/v1/tokens/stats?provider=up`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
      expect(stats).toContain('Incorrect API key provided: [redacted]');
      expect(stats).not.toContain(KEY_IN_USE);
      expect(stats).not.toContain(OTHER_KEY);
    });
  }

  it('the OpenAI SDK surfaces it as an error without the key', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [chunk('Hel'), chunk('lo'), FAILURES[0][1]] });
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const err = await (async () => {
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    })().catch((e: unknown) => e);
    expect(text).toBe('Hello');
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const e = err as InstanceType<typeof OpenAI.APIError>;
    expect(e.message).toContain('[redacted]');
    expect(JSON.stringify({ message: e.message, error: e.error })).not.toContain(KEY_IN_USE);
    expect(JSON.stringify({ message: e.message, error: e.error })).not.toContain(OTHER_KEY);
  });
});
