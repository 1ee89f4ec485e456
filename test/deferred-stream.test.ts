/** deferredStream: the provider's stream without an async generator around the SSE reader. */
import { describe, expect, it } from 'vitest';
import { deferredStream } from '../core/upstream/deferred-stream.js';

async function* source(log: string[]) {
  try {
    for (let i = 0; i < 3; i++) yield i;
  } finally {
    log.push('source closed');
  }
}

describe('deferredStream', () => {
  it('opens on the first next() only, then yields the source as it is (async or sync)', async () => {
    const log: string[] = [];
    const s = deferredStream(async () => {
      log.push('opened');
      return source(log);
    });
    const it = s[Symbol.asyncIterator]();
    expect(log).toEqual([]);
    const got: number[] = [];
    for await (const v of { [Symbol.asyncIterator]: () => it }) got.push(v);
    expect(got).toEqual([0, 1, 2]);
    expect(log).toEqual(['opened', 'source closed']);
    const sync: number[] = [];
    for await (const v of deferredStream(async () => [7, 8])) sync.push(v);
    expect(sync).toEqual([7, 8]);
  });

  it('a failure to open rejects the first next()', async () => {
    const it = deferredStream<number>(() => Promise.reject(new Error('upstream answered HTTP 429')))[Symbol.asyncIterator]();
    await expect(it.next()).rejects.toThrow('HTTP 429');
  });

  it('leaving early closes the source, also when return() comes while it is still opening', async () => {
    const log: string[] = [];
    for await (const v of deferredStream(async () => source(log))) if (v === 1) break;
    expect(log).toEqual(['source closed']);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const late: string[] = [];
    const it = deferredStream(async () => {
      await gate;
      return source(late);
    })[Symbol.asyncIterator]();
    const first = it.next();
    const closing = it.return!();
    release();
    await first;
    await closing;
    expect(late).toEqual(['source closed']);
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });
});
