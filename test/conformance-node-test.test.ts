/**
 * The kit is usable from node:test with no other setup: the Ollama example, copied out of the repo
 * with the built package installed as `node_modules/switchboard` (a link to this checkout, whose
 * dist/ the global setup builds), runs its conformance file under `node --test`, and every check
 * is reported by node's own runner.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../core/testing/index.js';

const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'switchboard-kit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('describeProvider under node:test', () => {
  it('runs the example provider’s conformance file with node --test, every check passing', async () => {
    const dir = join(work, 'provider-ollama');
    cpSync(join(root, 'examples/provider-ollama'), dir, { recursive: true });
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(root, join(dir, 'node_modules/switchboard'), 'dir');
    // Not under vitest any more: without VITEST the kit picks node:test.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && k !== 'NODE_OPTIONS'));
    const run = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', 'test/conformance.test.js'], { cwd: dir, env, timeout: 60_000 }).catch(
      (e: { stdout?: string; stderr?: string; code?: number }) => ({ stdout: e.stdout ?? '', stderr: `${e.stderr ?? ''} (exit ${e.code})` }),
    );
    expect(run.stderr).toBe('');
    const title = (c: (typeof CHECKS)[number]) => (typeof c.title === 'function' ? c.title({ kinds: {} } as never) : c.title);
    CHECKS.forEach((c, i) => expect(run.stdout).toContain(`ok ${i + 1} - ${title(c)}`));
    expect(run.stdout).toMatch(new RegExp(`^# pass ${CHECKS.length}$`, 'm'));
    expect(run.stdout).toMatch(/^# fail 0$/m);
  }, 90_000);
});
