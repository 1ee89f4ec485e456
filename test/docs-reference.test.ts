/**
 * docs/reference/ is generated (`npm run docs`: typedoc over the package's entry points) and
 * committed, so it reads on GitHub. Generated again here into a temporary folder, it must equal
 * what is committed: a TSDoc or export change without `npm run docs` fails.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

describe('docs/reference', () => {
  it('is what `npm run docs` makes from the sources now', () => {
    const out = mkdtempSync(join(tmpdir(), 'sb-reference-'));
    try {
      const r = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--out', out], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      const fresh = files(out);
      const committed = files(join(root, 'docs/reference'));
      const stale = [...new Set([...fresh.keys(), ...committed.keys()])].filter((f) => fresh.get(f) !== committed.get(f)).sort();
      expect(stale, 'docs/reference/ is stale: run `npm run docs` and commit it').toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
