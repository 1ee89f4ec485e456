/**
 * A front door with a stream format of its own (named events, state per stream) gets the whole
 * chat path from `app.switchboard.chat.respond`: its renderer writes the events, the closing ones
 * on a clean end, its own error events after the first byte (never the clean end), and the
 * shutdown event through the same renderer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
let upstream: FakeOpenAI;
let sb: RunningSwitchboard;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  sb = await startSwitchboard({ ...upstreamConfig(upstream.url), plugins: { './named-events-extension.ts': {} } }, { dir: fixtures });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

/** The SSE events of a response, as [name, data] pairs. */
async function events(res: Response): Promise<[string | undefined, unknown][]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter(Boolean)
    .map((block) => {
      const name = /^event: (.*)$/m.exec(block)?.[1];
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      return [name, JSON.parse(data)];
    });
}

const ask = (stream: boolean) =>
  fetch(`${sb.origin}/named/ask`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

describe('a front door with its own stream renderer', () => {
  it('writes named events from a fresh renderer per stream, and its closing event at the end', async () => {
    for (let i = 0; i < 2; i++) {
      upstream.script({ kind: 'ok', text: 'Hello there' });
      const res = await ask(true);
      expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      const got = await events(res);
      expect(got[0]).toEqual(['start', { n: 0 }]);
      expect(got.at(-1)).toEqual(['end', { n: got.length - 1 }]);
      expect(got.filter(([name]) => name === 'text').map(([, d]) => (d as { text: string }).text).join('')).toBe('Hello there');
    }
  });

  it('renders the whole answer with its completion format', async () => {
    upstream.script({ kind: 'ok', text: 'Whole' });
    const res = await ask(false);
    expect(await res.json()).toEqual({ said: 'Whole' });
  });

  it('a failure after the first byte ends with the renderer’s error event and no closing event', async () => {
    upstream.script({ kind: 'cut-after', chunks: 2 });
    const got = await events(await ask(true));
    expect(got.at(-1)?.[0]).toBe('oops');
    expect(got.at(-1)?.[1]).toMatchObject({ code: 'SWB_ERR_UPSTREAM_ERROR', status: 502 });
    expect(got.map(([name]) => name)).not.toContain('end');
  });

  it('shutdown ends an open stream with the renderer’s error event', async () => {
    upstream.script({ kind: 'drip', delayMs: 200 });
    const res = await ask(true);
    const reader = res.body!.getReader();
    const first = await reader.read(); // committed: the first events are out
    expect(first.done).toBe(false);
    const stopped = sb.app.switchboard.drain.stopAll();
    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    await stopped;
    expect(text).toContain('event: oops\ndata: {"n":');
    expect(text).toContain('"code":"SWB_ERR_SHUTTING_DOWN","status":503');
    expect(text).not.toContain('event: end');
  });
});
