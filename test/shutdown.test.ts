/**
 * SIGTERM on the real process (the compiled `dist/core/main.js`, as `npm start` runs it): the
 * listener keeps answering while requests finish, and streams still open when the grace period
 * ends get a final error event and a clean end, not a reset.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { APIConnectionError, APIError } from 'openai';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { startFakeOpenAI } from './fakes/openai-upstream.js';

interface RawStream {
  /** Every `data:` payload so far. */
  events: string[];
  /** Resolves when the response ended cleanly; rejects on a reset or an aborted response. */
  ended: Promise<void>;
  firstEvent: Promise<void>;
}

/** A streaming chat request over a plain socket (no keep-alive), recording each SSE event. */
function rawStream(port: number, maxTokens: number): RawStream {
  const events: string[] = [];
  let first!: () => void;
  const firstEvent = new Promise<void>((r) => (first = r));
  const ended = new Promise<void>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/v1/chat/completions', method: 'POST', agent: false, headers: { 'content-type': 'application/json' } }, (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        buf += d;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          for (const line of block.split('\n')) if (line.startsWith('data: ')) events.push(line.slice(6));
          first();
        }
      });
      res.on('end', () => (res.complete ? resolve() : reject(new Error('response aborted'))));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('response aborted')));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ model: 'mock/lorem', stream: true, max_tokens: maxTokens, messages: [{ role: 'user', content: 'hi' }] }));
  });
  return { events, ended, firstEvent };
}

describe('shutdown', () => {
  it('regression: SIGTERM drains (readyz 503, new requests 503) and ends streams open after server.shutdownGraceMs with a server_shutting_down event and a clean end (a waiting request: a 503, plain text on /v1/string)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'swb-shutdown-'));
    const f = join(dir, 'config.yaml');
    const fake = await startFakeOpenAI({ apiKey: 'sk-upstream-0123456789' });
    writeFileSync(
      f,
      `server: { host: 127.0.0.1, port: ${port}, shutdownGraceMs: 3000 }\nstate: { driver: memory }\nproviders:\n` +
        `  - { id: mock, plugin: mock, chunkDelayMs: 50 }\n` +
        `  - { id: up, plugin: openai-compatible, baseUrl: "${fake.url}", apiKey: sk-upstream-0123456789, retry: { attempts: 1 } }\n` +
        `models: { default: mock/echo }\nplugins: { string-endpoint: { model: up/gpt-4o-mini } }\n`,
    );
    const child = spawn(process.execPath, ['dist/core/main.js', '--config', f], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);

      const long = rawStream(port, 100_000); // far longer than the grace period
      const short = rawStream(port, 3); // done well within it
      const client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'unused', maxRetries: 0 });
      const sdk = await client.chat.completions.create({ model: 'mock/lorem', stream: true, max_tokens: 100_000, messages: [{ role: 'user', content: 'hi' }] });
      const sdkIter = sdk[Symbol.asyncIterator]();
      expect((await sdkIter.next()).done).toBe(false);
      await Promise.all([long.firstEvent, short.firstEvent]);
      // A non-streaming request whose upstream never answers: in flight once the upstream has it.
      fake.script({ kind: 'hang' });
      const waiting = client.chat.completions.create({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'slow' }] }).then(
        () => undefined,
        (err: unknown) => err,
      );
      await expect.poll(() => fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length, { timeout: 5000, interval: 20 }).toBe(1);
      // The string endpoint's question waits the same way, and is refused in its own plain text.
      fake.script({ kind: 'hang' });
      const asked = fetch(`http://127.0.0.1:${port}/v1/string?q=slow`).then(async (r) => ({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));
      await expect.poll(() => fake.requests.filter((r) => r.path.endsWith('/chat/completions')).length, { timeout: 5000, interval: 20 }).toBe(2);

      child.kill('SIGTERM');
      const atSignal = long.events.length;

      // Draining: the listener is still there, saying not ready, and refusing new work with an envelope.
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0), { timeout: 5000, interval: 50 }).toBe(503);
      const fresh = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'late' }] }),
      });
      expect(fresh.status).toBe(503);
      expect(((await fresh.json()) as { error: { type: string } }).error.type).toBe('service_unavailable');

      // A stream that ends within the grace period ends as usual.
      await short.ended;
      expect(short.events.at(-1)).toBe('[DONE]');

      // The long ones went on streaming during the grace, then got the event and a clean end.
      await long.ended;
      expect(long.events.length).toBeGreaterThan(atSignal);
      expect(long.events).not.toContain('[DONE]');
      expect(JSON.parse(long.events.at(-1)!)).toEqual({
        error: { message: expect.stringContaining('shutting down'), type: 'service_unavailable', param: null, code: 'server_shutting_down' },
      });
      let thrown: unknown;
      try {
        for (let n = await sdkIter.next(); !n.done; n = await sdkIter.next());
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(APIError);
      expect(thrown).not.toBeInstanceOf(APIConnectionError);
      expect((thrown as APIError).code).toBe('server_shutting_down');

      // The request still waiting for its answer gets a 503 envelope, and its upstream call is aborted.
      const refused = await waiting;
      expect(refused).toBeInstanceOf(APIError);
      expect(refused).not.toBeInstanceOf(APIConnectionError);
      expect((refused as APIError).status).toBe(503);
      expect((refused as APIError).code).toBe('server_shutting_down');
      await expect.poll(() => fake.requests.find((r) => r.path.endsWith('/chat/completions'))?.closedAt, { timeout: 5000, interval: 20 }).toBeDefined();
      const plain = await asked;
      expect(plain.status).toBe(503);
      expect(plain.type).toMatch(/^text\/plain/);
      expect(plain.text).toContain('shutting down');
      await expect.poll(() => fake.requests.filter((r) => r.path.endsWith('/chat/completions'))[1]?.closedAt, { timeout: 5000, interval: 20 }).toBeDefined();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    await fake.close();
    expect(out).toContain('"graceMs":3000');
    expect(out).toContain('grace period over: requests still open ended with server_shutting_down');
    expect(out).not.toContain('Promise errored'); // the refused request's aborted call ends quietly
  }, 30_000);
});
