/**
 * openaiSseChunks, the iterator every OpenAI-style stream passes through: chunks before a bad event
 * still arrive, the body is read to its end after [DONE] (so its socket goes back to the pool),
 * leaving early closes the body, and a stream cut before its finish is an error, not a short reply.
 */
import { describe, expect, it } from 'vitest';
import { jsonText } from '../core/contract/raw.js';
import { openaiSseChunks } from '../core/upstream/openai-sse.js';
import { UpstreamError } from '../core/upstream/upstream-error.js';

const ev = (content: string, finish: string | null = null) => `data: {"choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":${finish ? `"${finish}"` : 'null'}}]}\n\n`;

/** A body of these reads (each a Buffer), recording how far it was read and whether it was closed. */
function body(reads: (string | Buffer)[]) {
  const log = { nexts: 0, closed: false };
  const it: AsyncIterator<Buffer> = {
    next: async () => (log.nexts++ < reads.length ? { value: Buffer.from(reads[log.nexts - 1]), done: false } : { value: undefined, done: true }),
    return: async () => {
      log.closed = true;
      return { value: undefined, done: true };
    },
  };
  return { log, body: { [Symbol.asyncIterator]: () => it } };
}

const texts = async (chunks: AsyncIterable<unknown>) => {
  const out: string[] = [];
  for await (const c of chunks) out.push(jsonText(c));
  return out;
};

describe('openaiSseChunks', () => {
  it('yields each event of a read in order, including characters split across reads, and reads on to the end after [DONE]', async () => {
    const euro = Buffer.from(ev('€'));
    const cut = euro.indexOf(0xe2) + 1; // inside the three bytes of €
    const b = body([ev('a') + ev('b'), euro.subarray(0, cut), euro.subarray(cut), ev('', 'stop') + 'data: [DONE]\n\n', ev('after done')]);
    const got = await texts(openaiSseChunks(b.body));
    expect(got.map((t) => JSON.parse(t).choices[0].delta.content)).toEqual(['a', 'b', '€', '']);
    expect(b.log.nexts).toBe(6); // every read, then the end
    expect(b.log.closed).toBe(false);
  });

  it('the chunks before an in-band error arrive, then the error, and the body is closed', async () => {
    const b = body([ev('one') + ev('two') + 'data: {"error":{"message":"overloaded"}}\n\n' + ev('never'), ev('more')]);
    const it = openaiSseChunks(b.body);
    expect(JSON.parse(jsonText((await it.next()).value)).choices[0].delta.content).toBe('one');
    expect(JSON.parse(jsonText((await it.next()).value)).choices[0].delta.content).toBe('two');
    await expect(it.next()).rejects.toBeInstanceOf(UpstreamError);
    expect(b.log.closed).toBe(true);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('a stream that ends before its finish_reason and [DONE] is malformed, after what it did send', async () => {
    const b = body([ev('half')]);
    const it = openaiSseChunks(b.body);
    expect((await it.next()).done).toBe(false);
    await expect(it.next()).rejects.toMatchObject({ malformed: true });
  });

  it('leaving early closes the body (which aborts the upstream request)', async () => {
    const b = body([ev('a') + ev('b'), ev('c')]);
    for await (const _ of openaiSseChunks(b.body)) break;
    expect(b.log.closed).toBe(true);
    expect(b.log.nexts).toBe(1);
  });
});
