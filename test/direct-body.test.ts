/**
 * requestDirect / DirectBody: the hot path's upstream response read straight from undici's dispatch
 * callbacks. The same promises as requestUpstream's: non-2xx is an UpstreamError with the body,
 * the signal aborts the transfer, leaving a `for await` early aborts it, a slow reader pauses the
 * socket, and text split anywhere (a character across chunks) reads back whole.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Dispatcher } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallSignal } from '../core/contract/call-signal.js';
import { DirectBody } from '../core/upstream/direct-response.js';
import { createUpstreamDispatcher, requestDirect } from '../core/upstream/http-client.js';
import { UpstreamError } from '../core/upstream/upstream-error.js';

let server: Server;
let origin: string;
let pool: Dispatcher;
const closed: string[] = [];

const routes: Record<string, (res: ServerResponse) => void> = {
  '/split': (res) => {
    const bytes = Buffer.from('héllo wörld, €uro', 'utf8');
    res.writeHead(200, { 'content-type': 'text/plain' });
    // One byte per write, with a pause between: every multi-byte character arrives split.
    let i = 0;
    const next = () => (i < bytes.length ? res.write(bytes.subarray(i, ++i), () => setTimeout(next, 1)) : res.end());
    next();
  },
  '/many': (res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    // Far more chunks than the reader's high-water mark, as fast as the socket takes them.
    let i = 0;
    const next = (): void => {
      while (i < 200) if (!res.write(`${String(i++).padStart(4, '0')}|`)) return void res.once('drain', next);
      res.end();
    };
    next();
  },
  '/limited': (res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end('{"error":{"message":"slow down"}}');
  },
  '/endless': (res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const timer = setInterval(() => res.write('data: {}\n\n'), 5);
    res.on('close', () => clearInterval(timer));
  },
};

beforeAll(async () => {
  server = createServer((req, res) => {
    res.on('close', () => closed.push(req.url ?? ''));
    routes[req.url ?? '']?.(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pool = createUpstreamDispatcher({ baseUrl: origin });
});

afterAll(async () => {
  await pool.close();
  server.close();
});

const get = (path: string, signal = new CallSignal()) => requestDirect(pool, { origin, path, method: 'GET', headers: {}, signal });
const closedSoon = (path: string) => expect.poll(() => closed.includes(path), { timeout: 1000, interval: 10 }).toBe(true);

describe('requestDirect', () => {
  it('reads a body split inside multi-byte characters back whole, with the status and headers', async () => {
    const res = await get('/split');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain');
    expect(await res.body.text()).toBe('héllo wörld, €uro');
  });

  it('regression: text() of a body longer than the high-water mark reads to its end (it must not pause the socket for good)', async () => {
    const expected = Array.from({ length: 200 }, (_, i) => `${String(i).padStart(4, '0')}|`).join('');
    const res = await get('/many');
    await new Promise((r) => setTimeout(r, 50)); // let chunks pile up before anyone reads
    expect(await res.body.text()).toBe(expected);
    let streamed = '';
    for await (const chunk of (await get('/many')).body) {
      streamed += chunk.toString();
      await new Promise((r) => setImmediate(r)); // a slow reader: the socket pauses and resumes
    }
    expect(streamed).toBe(expected);
  });

  it('a non-2xx answer is an UpstreamError carrying the status, headers and body', async () => {
    const err = await get('/limited').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamError);
    expect(err).toMatchObject({ status: 429, body: '{"error":{"message":"slow down"}}' });
    expect((err as UpstreamError).headers?.['retry-after']).toBe('7');
  });

  it('leaving a for-await early aborts the upstream request', async () => {
    const res = await get('/endless');
    let n = 0;
    for await (const _ of res.body) if (++n === 3) break;
    await closedSoon('/endless');
  });

  it('the call signal aborts a body mid-transfer: the reader gets the reason, the upstream is closed', async () => {
    closed.length = 0;
    const signal = new CallSignal();
    const res = await get('/endless', signal);
    const reason = new Error('client went away');
    setTimeout(() => signal.abort(reason), 30);
    await expect(
      (async () => {
        for await (const _ of res.body);
      })(),
    ).rejects.toBe(reason);
    await closedSoon('/endless');
  });

  it('an already aborted signal sends nothing', async () => {
    const signal = new CallSignal();
    signal.abort(new Error('too late'));
    await expect(get('/split', signal)).rejects.toThrow('too late');
  });
});

describe('DirectBody', () => {
  const controller = () => {
    const calls: string[] = [];
    return { calls, c: { pause: () => calls.push('pause'), resume: () => calls.push('resume'), abort: (e: Error) => calls.push(`abort:${e.message}`) } as unknown as Dispatcher.DispatchController };
  };

  it('pauses the socket while a slow reader has 16 chunks waiting; the reader takes them as one Buffer, which resumes it', async () => {
    const { calls, c } = controller();
    const body = new DirectBody(c);
    for (let i = 0; i < 20; i++) body.push(Buffer.from([i]));
    expect(calls).toEqual(['pause']);
    const first = await body.next();
    expect([...(first.value as Buffer)]).toEqual([...Array(20).keys()]);
    expect(calls).toEqual(['pause', 'resume']);
    body.push(Buffer.from([20]));
    body.end();
    expect([...((await body.next()).value as Buffer)]).toEqual([20]);
    expect((await body.next()).done).toBe(true);
  });

  it('destroy aborts the transfer once, and a body that ended is not aborted', async () => {
    const a = controller();
    const body = new DirectBody(a.c);
    body.destroy();
    body.destroy();
    expect(a.calls).toEqual(['abort:the response body was abandoned']);
    await expect(body.next()).rejects.toThrow('abandoned');
    const b = controller();
    const done = new DirectBody(b.c);
    done.end();
    done.destroy();
    expect(b.calls).toEqual([]);
  });
});
