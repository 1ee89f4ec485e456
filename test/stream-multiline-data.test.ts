/**
 * SSE lets an upstream spread one event over several `data:` lines (joined with `\n`). Switchboard
 * must forward such an event so that clients still read it whole: several `data:` lines again.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReply, splitForStream, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard(upstreamConfig(upstream.url));
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

describe('events spread over several data: lines', () => {
  it('regression: the openai SDK receives every chunk of a stream whose events span several data: lines', async () => {
    upstream.script({ kind: 'multiline-data' });
    const content = 'split me over lines';
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content }] });
    const pieces: string[] = [];
    let finish: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (choice?.delta?.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finish = choice.finish_reason;
    }
    const expected = defaultReply({ messages: [{ role: 'user', content }] });
    expect(pieces).toEqual(splitForStream(expected));
    expect(finish).toBe('stop');
    expect(usage).toMatchObject({ completion_tokens: splitForStream(expected).length });
  });

  it('on the wire: each line of such an event goes out as its own data: line', async () => {
    upstream.script({ kind: 'multiline-data', text: 'two words' });
    const res = await fetch(`${sb.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }),
    });
    const text = await res.text();
    const events = text.split('\n\n').filter(Boolean);
    expect(events.at(-1)).toBe('data: [DONE]');
    for (const ev of events.slice(0, -1)) {
      const lines = ev.split('\n');
      expect(lines.length).toBeGreaterThan(1);
      for (const line of lines) expect(line.startsWith('data: ')).toBe(true);
      const json = JSON.parse(lines.map((l) => l.slice(6)).join('\n')) as { object: string };
      expect(json.object).toBe('chat.completion.chunk');
    }
  });
});
