/**
 * The idle timeout is the longest silence between two chunks, not a limit on the stream's length:
 * every chunk re-arms it (docs/resilience.md). A stream that keeps talking for many times
 * `idleMs` must complete; one that falls silent is still cut (see stream-failures.test.ts).
 */
import OpenAI from 'openai';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { defaultReply, splitForStream, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const IDLE_MS = 500;
/** The exchange's one timer first waits for this deadline: the stream must outlast it to test the re-arm. */
const FIRST_BYTE_MS = 1000;
const GAP_MS = 100; // a chunk every 100 ms: a fifth of idleMs, room for a loaded machine

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeEach(async () => {
  upstream = await startFakeOpenAI();
  const config = upstreamConfig(upstream.url);
  (config.providers as { timeouts: object }[])[0].timeouts = { firstByteMs: FIRST_BYTE_MS, idleMs: IDLE_MS, totalMs: 30_000 };
  sb = await startSwitchboard(config);
});
afterEach(async () => {
  await sb?.close();
  await upstream?.close();
});

it('a stream that delivers chunks steadily for much longer than idleMs completes', async () => {
  const messages = [{ role: 'user' as const, content: 'tell me a longer story about ten small green frogs' }];
  const expected = defaultReply({ messages });
  // role + words + finish + [DONE], each GAP_MS after the last: past the first-byte deadline
  // (when the timer first fires, and a timer not re-armed by chunks would cut the stream) by
  // more than an idle period
  expect((splitForStream(expected).length + 3) * GAP_MS).toBeGreaterThan(FIRST_BYTE_MS + IDLE_MS);
  upstream.script({ kind: 'drip', delayMs: GAP_MS });
  const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });

  const started = Date.now();
  const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
  let text = '';
  let finish: string | null | undefined;
  for await (const c of stream) {
    text += c.choices[0]?.delta.content ?? '';
    finish = c.choices[0]?.finish_reason ?? finish;
  }
  expect(text).toBe(expected);
  expect(finish).toBe('stop');
  // it really did outlast the first deadline and then some
  expect(Date.now() - started).toBeGreaterThan(FIRST_BYTE_MS + IDLE_MS);
  expect(sb.logText()).not.toContain('idle timeout');
});
