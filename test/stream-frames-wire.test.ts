/**
 * What a chat stream client receives on the wire, byte for byte, when the upstream's events are
 * forwarded as runs of the upstream's own frames: exactly the upstream's `data:` events when
 * they are framed plainly (however the reads cut them), and the same payloads re-framed plainly
 * when the upstream frames them otherwise (comments, CRLF, `event:` lines, no space after
 * `data:`). Real sockets both ways; the upstream is the fake OpenAI server.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard(upstreamConfig(upstream.url));
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
  JSON.stringify({ id: 'chatcmpl-w', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta, finish_reason: finish }] });
const PAYLOADS = [chunk({ role: 'assistant', content: '' }), ...['Hé', ' — ', 'wörld', ' 😀'].map((content) => chunk({ content })), chunk({}, 'stop')];

async function streamText(): Promise<string> {
  const res = await fetch(`${sb.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] }),
  });
  expect(res.status).toBe(200);
  return res.text();
}

/** The UTF-8 bytes of `text` cut at these byte offsets (inside characters too), each piece one upstream write. */
function cutAt(text: string, offsets: number[]): Buffer[] {
  const bytes = Buffer.from(text);
  const ends = [...offsets, bytes.length];
  return ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
}

describe('chat stream frames on the wire', () => {
  it('plainly framed events reach the client exactly as the upstream sent them, cut anywhere', async () => {
    const wire = PAYLOADS.map((p) => `data: ${p}\n\n`).join('') + 'data: [DONE]\n\n';
    const bytes = Buffer.from(wire);
    // The role event and part of the next; then cuts inside "é" and inside "😀" (multi-byte characters).
    const pieces = cutAt(wire, [PAYLOADS[0].length + 40, bytes.indexOf(Buffer.from('é')) + 1, bytes.indexOf(Buffer.from('😀')) + 2]);
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces });
    expect(await streamText()).toBe(wire);
  });

  it('events framed otherwise come out as plain data: events with the same payloads, the stream ending in [DONE]', async () => {
    const wire = [
      `: keep-alive\n\n`,
      `data: ${PAYLOADS[0]}\r\n\r\n`,
      `event: message\ndata: ${PAYLOADS[1]}\n\n`,
      `data:${PAYLOADS[2]}\n\n`,
      `data: ${PAYLOADS[3]}\n\n`,
      `id: 4\ndata: ${PAYLOADS[4]}\n\n`,
      `data: ${PAYLOADS[5]}\n\n`,
      'data: [DONE]\n\n',
    ].join('');
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: [wire] });
    expect(await streamText()).toBe(PAYLOADS.map((p) => `data: ${p}\n\n`).join('') + 'data: [DONE]\n\n');
  });

  it('the openai SDK reads the forwarded frames as the same chunks', async () => {
    const wire = PAYLOADS.map((p) => `data: ${p}\n\n`).join('') + 'data: [DONE]\n\n';
    upstream.script({ kind: 'raw', contentType: 'text/event-stream', pieces: cutAt(wire, [200]) });
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    let finish: string | null | undefined;
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? '';
      finish = c.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe('Hé — wörld 😀');
    expect(finish).toBe('stop');
  });
});
