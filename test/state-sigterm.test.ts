/**
 * State written on SIGTERM with the file driver: the real process (the compiled
 * `dist/core/main.js`, as `npm start` runs it) serves requests, is stopped long before its
 * debounce would write, and the state file holds the counts anyway (the final flush on close).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';

describe('file state on SIGTERM', () => {
  it('the counts of requests served reach the state file on SIGTERM, before the debounce would have written them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swb-sigterm-'));
    const port = await freePort();
    const config = join(dir, 'config.yaml');
    // An hour of debounce: only the flush on close can write the file during this test.
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: ${port} }\nstate: { driver: file, path: ./state.json, debounceMs: 3600000 }\n` +
        'providers:\n  - id: mock\n    plugin: mock\nmodels: { m: mock/echo }\n',
    );
    const child = spawn(process.execPath, ['dist/core/main.js', '--config', config], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.resume();
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const state = join(dir, 'state.json');
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: `ping ${i}` }] }),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      expect(existsSync(state)).toBe(false); // nothing written yet: the debounce is still pending
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);
    const doc = JSON.parse(readFileSync(state, 'utf8'));
    expect(doc.pools.mock.anonymous).toMatchObject({ requests: 3, successes: 3, failures: 0, models: { echo: { requests: 3, successes: 3 } } });
    rmSync(dir, { recursive: true, force: true });
  });
});
