/** `npm start` builds first (its prestart): with unchanged sources that build must not compile. */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

function build(...extra: string[]): Promise<{ code: number | null; out: string }> {
  const child = spawn('npm', ['run', 'build', '--silent', '--', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out })));
}

describe('npm run build', () => {
  it('regression: a start with unchanged sources does not compile (incremental build, up to date)', async () => {
    // Already up to date (vitest's global setup builds): this build must succeed and write nothing.
    expect((await build()).code).toBe(0);
    const info = statSync('dist/.tsbuildinfo').mtimeMs;
    const again = await build('--verbose');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/is up to date/);
    expect(again.out).not.toMatch(/Building project/);
    expect(statSync('dist/.tsbuildinfo').mtimeMs).toBe(info); // nothing was written
  }, 60_000);
});
