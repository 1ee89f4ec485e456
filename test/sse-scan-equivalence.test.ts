/**
 * The OpenAI SSE reader has two ways through a read: a scan for events framed exactly
 * `data: {...}\n\n` and the general WHATWG parser with its per-event checks. Whatever an upstream
 * sends, and however its bytes are cut into reads, both must hand out the same chunks and end the
 * same way; and a run taken as frames must hold exactly those chunks' text. A provider with a
 * `rewrite` always goes the general way, so an identity rewrite is the reference.
 */
import { describe, expect, it } from 'vitest';
import { jsonText } from '../core/contract/raw.js';
import { endedNow, hasEndedNow, readyNow, takeFrames, takeReady } from '../core/contract/ready-now.js';
import { openaiSseChunks } from '../core/upstream/openai-sse.js';

const content = (text: string, finish: string | null = null) =>
  JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: text }, finish_reason: finish }] });

/** Events as an upstream may frame them; each ends with its blank line. */
const EVENTS = [
  `data: ${content('plain')}\n\n`,
  `data: ${content('€ and 😀 split anywhere')}\n\n`,
  `data: ${content('a quoted "error" word')}\n\n`,
  `data: {"choices":[],"prompt_filter_results":[]}\n\n`, // Azure's prelude: dropped
  `data: {"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}\n\n`,
  `data: ${content('tools')}`.replace('"content":"tools"', '"content":"","tool_calls":[]') + '\n\n',
  `: a comment\n\n`,
  `event: message\ndata: ${content('named')}\n\n`,
  `data: ${content('crlf')}\r\n\r\n`,
  `data:${content('no space')}\n\n`,
  `data: {"choices":[{"index":0,\ndata: "delta":{"content":"two lines"}}]}\n\n`,
  `data: \n\n`,
  `id: 7\ndata: ${content('with id')}\n\n`,
  `data:  ${content('two spaces')}  \n\n`,
  `data: ${content('x'.repeat(3000))}\n\n`,
];
const FINISH = `data: ${content('', 'stop')}\n\n`;
const DONE = 'data: [DONE]\n\n';
const BAD = [`data: {"error":{"message":"overloaded","type":"server_error"}}\n\n`, `event: error\ndata: {"message":"boom"}\n\n`, `data: not json\n\n`, `data: {\n\n`];

/** A seeded linear congruential generator (Numerical Recipes' constants), so a failing case can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

/** A random stream: events, maybe a bad one, the finish, [DONE] or not, and maybe events after it. */
function stream(rnd: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const parts: string[] = [];
  const n = Math.floor(rnd() * 12);
  // Half the streams are all clean framing, the shape real upstreams send.
  const clean = rnd() < 0.5;
  for (let i = 0; i < n; i++) parts.push(clean ? `data: ${content(`tok${i}`)}\n\n` : pick(EVENTS));
  if (rnd() < 0.2) parts.push(pick(BAD));
  if (rnd() < 0.85) parts.push(FINISH);
  if (rnd() < 0.8) parts.push(DONE);
  if (rnd() < 0.2) parts.push(`data: ${content('after done')}\n\n`);
  if (rnd() < 0.1) parts.push('data: {"choices":[{"index":0,"delta":{"content":"cut'); // ends mid-event
  return parts.join('');
}

/** Cut the bytes into reads at random places (inside characters too). */
function cut(bytes: Buffer, rnd: () => number): Buffer[] {
  const reads: Buffer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const len = rnd() < 0.3 ? 1 + Math.floor(rnd() * 8) : 1 + Math.floor(rnd() * 400);
    reads.push(bytes.subarray(at, at + len));
    at += len;
  }
  return reads;
}

/**
 * The reads as a body. With `rnd` it is like the upstream client's: reads that arrived while the
 * reader was busy are offered without a promise (`readyNow`), several at once as one Buffer, and
 * it may say it has ended (`endedNow`).
 */
function body(reads: Buffer[], rnd?: () => number): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]() {
      let i = 0;
      const it: AsyncIterator<Buffer> = {
        next: async () => (i < reads.length ? { value: reads[i++], done: false } : { value: undefined, done: true }),
        return: async () => ({ value: undefined, done: true }),
      };
      if (!rnd) return it;
      return {
        ...it,
        [readyNow]: () => {
          if (i >= reads.length || rnd() < 0.4) return undefined;
          const k = Math.min(reads.length - i, 1 + Math.floor(rnd() * 3));
          const taken = Buffer.concat(reads.slice(i, i + k));
          i += k;
          return taken;
        },
        [endedNow]: () => i >= reads.length && rnd() < 0.7,
      };
    },
  };
}

interface Outcome {
  texts: string[];
  end: string;
}

/** Read it all with next() (as the dispatcher and renderers do). */
async function viaNext(it: AsyncIterator<unknown>): Promise<Outcome> {
  const texts: string[] = [];
  try {
    for (let r = await it.next(); !r.done; r = await it.next()) texts.push(jsonText(r.value));
    return { texts, end: 'done' };
  } catch (err) {
    return { texts, end: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/** Read it as the chat front door does: runs of frames when offered, single chunks in hand, the end when known, else next(). */
async function viaFrames(it: AsyncIterator<unknown>): Promise<Outcome> {
  const texts: string[] = [];
  try {
    for (;;) {
      const run = takeFrames<unknown>(it);
      if (run !== undefined) {
        const payloads = framesToPayloads(run.text);
        texts.push(...payloads);
        expect(jsonText(run.last)).toBe(payloads[payloads.length - 1]);
        continue;
      }
      const ready = takeReady<unknown>(it);
      if (ready !== undefined) {
        texts.push(jsonText(ready));
        continue;
      }
      if (hasEndedNow(it)) {
        // as the committed stream ends on it, without asking next(); which must agree
        const after = await it.next().then((r) => JSON.stringify(r), (err: Error) => `threw ${err.message}`);
        return { texts, end: after === '{"done":true}' ? 'done' : `endedNow, yet next() ${after}` };
      }
      const r = await it.next();
      if (r.done) return { texts, end: 'done' };
      texts.push(jsonText(r.value));
    }
  } catch (err) {
    return { texts, end: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
}

/** A run's text (a string, or the upstream's bytes) must be whole `data: <json>\n\n` events and nothing else. */
function framesToPayloads(run: string | Buffer): string[] {
  const text = typeof run === 'string' ? run : run.toString('utf8');
  expect(text).toMatch(/^(data: [^\n]+\n\n)+$/);
  return text.split('\n\n').filter(Boolean).map((e) => e.slice('data: '.length));
}

const reference = (reads: Buffer[]) => viaNext(openaiSseChunks(body(reads), (json) => json));

describe('the SSE scan and the general parser agree', () => {
  it('on 600 random streams cut into random reads, some of them queued: the same chunks, the same end, the same text in frames', async () => {
    let fastRuns = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const rnd = random(seed);
      const bytes = Buffer.from(stream(rnd));
      const reads = cut(bytes, rnd);
      const want = await reference(reads);
      const ctx = `seed ${seed}: ${JSON.stringify(bytes.toString())}`;
      expect(await viaNext(openaiSseChunks(body(reads))), ctx).toEqual(want);
      const framed = await viaFrames(openaiSseChunks(body(reads)));
      expect(framed, ctx).toEqual(want);
      // reads that were queued already are taken at once, in order, by either reader
      expect(await viaFrames(openaiSseChunks(body(reads, random(seed + 1000)))), `${ctx} (queued reads, frames)`).toEqual(want);
      expect(await viaNext(openaiSseChunks(body(reads, random(seed + 2000)))), `${ctx} (queued reads, next)`).toEqual(want);
      if (want.texts.length > 1) fastRuns++;
    }
    expect(fastRuns).toBeGreaterThan(200); // the cases exercised streams with content, not just ends
  });

  it('a read of clean events comes out as one run of the upstream text, [DONE] and what follows it left out', async () => {
    const events = [content('a'), content('b'), content('', 'stop')].map((j) => `data: ${j}\n\n`).join('');
    const it = openaiSseChunks(body([Buffer.from(events + DONE + `data: ${content('late')}\n\n`)]))[Symbol.asyncIterator]();
    const first = await it.next();
    expect(jsonText(first.value)).toBe(content('a'));
    const run = takeFrames<unknown>(it);
    expect(String(run?.text)).toBe(`data: ${content('b')}\n\ndata: ${content('', 'stop')}\n\n`);
    expect(takeFrames(it)).toBeUndefined();
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('a run from an ASCII read is the upstream bytes themselves (nothing decoded and re-encoded); from any other read, text', async () => {
    const ascii = Buffer.from([content('a'), content('b'), content('c')].map((j) => `data: ${j}\n\n`).join(''));
    const it = openaiSseChunks(body([ascii, Buffer.from(`data: ${content('é')}\n\ndata: ${content('ü')}\n\ndata: ${content('', 'stop')}\n\n`)]))[Symbol.asyncIterator]();
    await it.next();
    const bytes = takeFrames<unknown>(it)?.text;
    expect(Buffer.isBuffer(bytes)).toBe(true);
    expect((bytes as Buffer).buffer).toBe(ascii.buffer); // a view of the read, not a copy
    expect((bytes as Buffer).toString()).toBe(ascii.subarray(ascii.indexOf('data: ', 1)).toString());
    await it.next();
    expect(takeFrames<unknown>(it)?.text).toBe(`data: ${content('ü')}\n\ndata: ${content('', 'stop')}\n\n`);
  });

  it('the events before an oddly framed one come as a run, the rest one by one through the parser', async () => {
    const text = `data: ${content('a')}\n\ndata: ${content('b')}\n\n: keep-alive\n\ndata: ${content('c')}\n\ndata: ${content('', 'stop')}\n\n${DONE}`;
    const it = openaiSseChunks(body([Buffer.from(text)]))[Symbol.asyncIterator]();
    expect(jsonText((await it.next()).value)).toBe(content('a'));
    expect(String(takeFrames<unknown>(it)?.text)).toBe(`data: ${content('b')}\n\n`);
    expect(takeFrames(it)).toBeUndefined();
    expect(jsonText(takeReady(it))).toBe(content('c'));
    expect(jsonText(takeReady(it))).toBe(content('', 'stop'));
    expect(takeReady(it)).toBeUndefined();
    expect((await it.next()).done).toBe(true);
  });

  it('an upstream line that never ends is refused at 16 MiB, not held without bound', async () => {
    const big = Buffer.alloc(1024 * 1024, 'x');
    const reads = [Buffer.from('data: {"a":"'), ...Array.from({ length: 17 }, () => big)];
    const got = await viaNext(openaiSseChunks(body(reads)));
    expect(got.end).toMatch(/16 MiB/);
  });
});
