/**
 * The server process's peak memory, on the compiled `dist/core/main.js` with `npm start`'s
 * flags. Counted from /proc, not timed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { startFakeOpenAI } from './fakes/openai-upstream.js';
// npm start's node flags and environment, read from package.json as the bench reads them.
import { START } from '../bench/servers.js';

const root = resolve(import.meta.dirname, '..');

/** VmRSS and VmHWM (the peak so far) of a process, in MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

describe.runIf(process.platform === 'linux')('peak RSS of the server process', () => {
  it('regression: the first upstream requests do not raise the peak by ~30 MB (V8 recompiling undici’s WebAssembly HTTP parser with its optimising compiler)', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'swb-peak-'));
    const fake = await startFakeOpenAI({ apiKey: 'sk-upstream-0123456789' });
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      `server: { host: 127.0.0.1, port: ${port}, logLevel: warn }\nstate: { driver: memory }\nproviders:\n` +
        `  - { id: up, plugin: openai-compatible, baseUrl: "${fake.url}", apiKey: sk-upstream-0123456789, models: [gpt-4o-mini] }\n` +
        `models: { default: up/gpt-4o-mini }\n`,
    );
    const child = spawn(process.execPath, [...START.flags, 'dist/core/main.js', '--config', config], { cwd: root, env: { PATH: process.env.PATH, ...START.env }, stdio: 'ignore' });
    const chat = (stream: boolean) =>
      fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', stream, messages: [{ role: 'user', content: 'Say hello in a short sentence, please.' }] }),
      }).then((r) => r.text());
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      const before = memoryOf(child.pid!);
      // Enough requests, eight at a time, for V8 to find undici's parser hot.
      for (let i = 0; i < 40; i++) await Promise.all(Array.from({ length: 8 }, (_, k) => chat(k % 2 === 0)));
      // The optimising compile runs on a background thread, after the requests that set it off.
      await new Promise((r) => setTimeout(r, 1000));
      const after = memoryOf(child.pid!);
      expect(fake.requests.length).toBe(320);
      // With the recompile the peak rose 29-36 MB over the idle RSS; without it, 1-5 MB.
      expect(after.peak - before.rss, `idle ${before.rss.toFixed(1)} MB, peak after 320 requests ${after.peak.toFixed(1)} MB`).toBeLessThan(15);
    } finally {
      child.kill('SIGKILL');
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
