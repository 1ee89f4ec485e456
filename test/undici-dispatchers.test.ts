import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, ProxyAgent } from '../core/upstream/undici-dispatchers.js';
import { createUpstreamDispatcher, requestUpstream } from '../core/upstream/http-client.js';
import { CallSignal } from '../core/contract/call-signal.js';

const ROOT = resolve(import.meta.dirname, '..');

describe('the undici dispatchers loaded without undici’s index', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => res.end(`${req.method} ${req.url} ${body}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('have the request API installed, as undici’s own index installs it', async () => {
    const pool = new Pool(origin);
    try {
      const res = await pool.request({ path: '/a', method: 'POST', body: 'hi' });
      expect(res.statusCode).toBe(200);
      expect(await res.body.text()).toBe('POST /a hi');
      expect(typeof pool.stream).toBe('function');
    } finally {
      await pool.close();
    }
    expect(typeof ProxyAgent.prototype.dispatch).toBe('function');
    expect(typeof ProxyAgent.prototype.request).toBe('function');
  });

  it('serve the kit’s requestUpstream (what plugins call) through createUpstreamDispatcher', async () => {
    const dispatcher = createUpstreamDispatcher({ baseUrl: origin });
    const signal = CallSignal.timeout(5000, 'test timed out');
    try {
      const res = await requestUpstream(dispatcher, { origin, path: '/v1/x', method: 'POST', headers: {}, body: '{}', signal });
      expect(await res.body.text()).toBe('POST /v1/x {}');
    } finally {
      signal.clear();
      await dispatcher.close();
    }
  });
});

describe('a server on the file driver loads neither ioredis nor all of undici', () => {
  it('builds and serves without those modules in its module cache', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swb-lean-'));
    const script = `
      import { createRequire } from 'node:module';
      const { prepare } = await import(${JSON.stringify(join(ROOT, 'dist/core/startup.js'))});
      const { buildApp } = await import(${JSON.stringify(join(ROOT, 'dist/core/app.js'))});
      const raw = { server: { logLevel: 'warn' }, state: { driver: 'file', path: 'state.json' },
        providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x', models: ['m'] }],
        models: { m: 'up/m' }, plugins: { metrics: {} } };
      const app = await buildApp(await prepare({ raw, dir: ${JSON.stringify(dir)} }));
      await app.listen({ host: '127.0.0.1', port: 0 });
      const loaded = Object.keys(createRequire(import.meta.url).cache);
      console.log(JSON.stringify({
        ioredis: loaded.filter((f) => f.includes('/node_modules/ioredis/')).length,
        undiciIndex: loaded.filter((f) => /\\/node_modules\\/undici\\/index\\.js$/.test(f)).length,
        undiciPool: loaded.filter((f) => f.endsWith('/undici/lib/dispatcher/pool.js')).length,
      }));
      await app.close();
    `;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: dir });
      const counts = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
      expect(counts).toEqual({ ioredis: 0, undiciIndex: 0, undiciPool: 1 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
