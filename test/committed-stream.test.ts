/**
 * The committed stream settles its own attempt: whatever way a front door's loop ends (the
 * upstream finishes, the upstream fails, the loop breaks or throws), the lease is settled exactly
 * once, with the right outcome, and the attempt's timer stops.
 */
import { describe, expect, it } from 'vitest';
import type { ChatChunk, FailureVerdict, UpstreamFailure } from '../core/index.js';
import { CommittedStream } from '../core/dispatch/committed-stream.js';
import { Exchange } from '../core/dispatch/exchange.js';
import { GatewayError } from '../core/errors/gateway-error.js';
import { UpstreamError } from '../core/upstream/upstream-error.js';
import { jsonText } from '../core/contract/raw.js';
import { deferredStream } from '../core/upstream/deferred-stream.js';
import { openaiSseChunks } from '../core/upstream/openai-sse.js';

type Settled = { how: 'succeed'; usage: unknown } | { how: 'fail'; kind: string; message: string } | { how: 'release' };

function fixture(rest: AsyncIterator<ChatChunk>, first: ChatChunk = chunk({ role: 'assistant', content: '' })) {
  const settled: Settled[] = [];
  const lease = {
    succeed: (usage: unknown) => settled.push({ how: 'succeed', usage }),
    fail: (kind: string, d: { message: string }) => settled.push({ how: 'fail', kind, message: d.message }),
    release: () => settled.push({ how: 'release' }),
  };
  const classified: UpstreamFailure[] = [];
  const handle = {
    id: 'up',
    secrets: ['sk-secret-123456789'],
    classify: (f: UpstreamFailure): FailureVerdict => (classified.push(f), { kind: 'transient' }),
  };
  const logs: string[] = [];
  const log = { warn: (_o: unknown, m: string) => logs.push(m), error: (_o: unknown, m: string) => logs.push(m), info() {}, debug() {} };
  const ex = new Exchange('req-1');
  ex.beginAttempt({ firstByteMs: 60_000, idleMs: 60_000, totalMs: 60_000 }, 'up', 'key-1');
  ex.firstChunk();
  const stream = new CommittedStream(first, rest, handle as never, { provider: 'up', model: 'm' }, lease as never, ex, log as never);
  return { stream, settled, classified, logs, ex };
}

function chunk(delta: Record<string, unknown>, extra: Partial<ChatChunk> = {}): ChatChunk {
  return { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: null }], ...extra } as ChatChunk;
}

async function* upstream(chunks: ChatChunk[], end?: Error, closed?: { done: boolean }) {
  try {
    for (const c of chunks) yield c;
    if (end) throw end;
  } finally {
    if (closed) closed.done = true;
  }
}

describe('CommittedStream', () => {
  it('puts a role chunk first when the provider skipped it, and credits the usage of the last chunk at the end', async () => {
    const usage = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };
    const last = { ...chunk({}), choices: [], usage } as ChatChunk;
    const { stream, settled } = fixture(upstream([chunk({ content: 'lo' }), last]), chunk({ content: 'hel' }));
    expect(stream.headSize).toBe(2);
    const seen: ChatChunk[] = [];
    for await (const c of stream) seen.push(c);
    expect(seen.map((c) => c.choices[0]?.delta)).toEqual([{ role: 'assistant', content: '' }, { content: 'hel' }, { content: 'lo' }, undefined]);
    expect(settled).toEqual([{ how: 'succeed', usage: { promptTokens: 3, completionTokens: 2 } }]);
  });

  it('a failure mid-stream is classified, blamed on the credential once, and thrown as the error to end the stream with (no secret in it)', async () => {
    const { stream, settled, classified, logs } = fixture(upstream([chunk({ content: 'a' })], new UpstreamError('upstream answered HTTP 500 for sk-secret-123456789', { status: 500 })));
    let thrown: unknown;
    try {
      for await (const _ of stream);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GatewayError);
    expect(JSON.stringify((thrown as GatewayError).toEnvelope())).not.toContain('sk-secret-123456789');
    expect(classified).toHaveLength(1);
    expect(classified[0].status).toBe(500);
    expect(settled).toEqual([{ how: 'fail', kind: 'transient', message: expect.not.stringContaining('sk-secret') }]);
    expect(logs).toEqual(['upstream failed mid-stream']);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
  });

  it('a loop that breaks gives the credential back unblamed and closes the provider’s generator', async () => {
    const closed = { done: false };
    const { stream, settled } = fixture(upstream([chunk({ content: 'a' }), chunk({ content: 'b' }), chunk({ content: 'c' })], undefined, closed));
    let n = 0;
    for await (const _ of stream) if (++n === 2) break;
    expect(settled).toEqual([{ how: 'release' }]);
    await expect.poll(() => closed.done).toBe(true);
  });

  it('a front door that throws inside its loop releases the lease, and errorFor makes it an internal error', async () => {
    const { stream, settled, logs } = fixture(upstream([chunk({ content: 'a' }), chunk({ content: 'b' })]));
    let thrown: unknown;
    try {
      for await (const c of stream) if (c.choices[0]?.delta?.content === 'a') throw new TypeError('format bug');
    } catch (err) {
      thrown = err;
    }
    expect(settled).toEqual([{ how: 'release' }]);
    const e = stream.errorFor(thrown);
    expect(e.id).toBe('SWB_ERR_INTERNAL');
    expect(e.status).toBe(500);
    expect(logs).toEqual(['internal error mid-stream']);
  });

  it('after the client left, a failure blames nobody and is passed on as it was', async () => {
    const cut = new Error('socket hang up');
    const { stream, settled, classified, ex } = fixture(upstream([], cut));
    expect((await stream.next()).done).toBe(false); // the first chunk, in hand at commit
    ex.clientClosed();
    await expect(stream.next()).rejects.toBe(cut);
    expect(settled).toEqual([{ how: 'release' }]);
    expect(classified).toEqual([]);
  });

  describe('pull(): chunks in hand without a promise', () => {
    const ev = (content: string) => `data: {"choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}\n\n`;
    /** The provider's stream as the openai-compatible provider builds it, over a body of these reads. */
    const provider = (reads: string[]) => {
      let i = 0;
      const body = { [Symbol.asyncIterator]: () => ({ next: async () => (i < reads.length ? { value: Buffer.from(reads[i++]), done: false } : { value: undefined, done: true }) }) };
      return deferredStream(async () => openaiSseChunks(body as AsyncIterable<Buffer>))[Symbol.asyncIterator]();
    };
    /** Pull to the end the way the front doors do, noting which chunks came synchronously. */
    async function drain(stream: CommittedStream) {
      const got: string[] = [];
      for (;;) {
        const next = stream.pull();
        const sync = !(next instanceof Promise);
        const c = sync ? next : await next;
        if (c === undefined) return got;
        got.push(`${sync ? 'sync' : 'async'} ${c.choices[0]?.delta?.content}`);
      }
    }

    it('what one read completed comes synchronously, the next read through a promise, the end through a promise; the lease is credited once', async () => {
      const rest = provider([ev('a') + ev('b'), ev('c') + ev('d') + 'data: {"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n']);
      const first = await rest.next();
      const { stream, settled, ex } = fixture(rest, first.value);
      ex.lastChunkAt = 0;
      // The head (a synthesised role chunk, then "a"), "b" from the same read; "c" needs a read, then "d" and the finish are in hand.
      expect(await drain(stream)).toEqual(['sync ', 'sync a', 'sync b', 'async c', 'sync d', 'sync undefined']);
      expect(ex.lastChunkAt).toBeGreaterThan(0); // chunks handed over in hand still stamp the idle clock
      expect(settled).toEqual([{ how: 'succeed', usage: undefined }]);
    });

    it('a bad event after chunks in hand: those chunks, then the failure through the promise, blamed once', async () => {
      const rest = provider([ev('a') + ev('b') + 'data: not json\n\n']);
      const first = await rest.next();
      const { stream, settled, classified } = fixture(rest, first.value);
      const got: string[] = [];
      const thrown = await (async () => {
        for (;;) {
          const next = stream.pull();
          const c = next instanceof Promise ? await next : next;
          if (c === undefined) return undefined;
          got.push(jsonText(c));
        }
      })().catch((err: unknown) => err);
      expect(got.map((t) => JSON.parse(t).choices[0].delta.content)).toEqual(['', 'a', 'b']);
      expect(thrown).toBeInstanceOf(GatewayError);
      expect(classified).toHaveLength(1);
      expect(settled).toEqual([{ how: 'fail', kind: 'transient', message: expect.any(String) }]);
    });

    it('after return(), nothing more is handed out', async () => {
      const rest = provider([ev('a') + ev('b') + ev('c')]);
      const first = await rest.next();
      const { stream, settled } = fixture(rest, first.value);
      expect(stream.pull()).not.toBeInstanceOf(Promise); // the synthesised role chunk
      await stream.return();
      expect(await stream.pull()).toBeUndefined();
      expect(settled).toEqual([{ how: 'release' }]);
    });
  });
});

