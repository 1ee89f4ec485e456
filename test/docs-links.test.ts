/**
 * The docs are read on GitHub and in a clone: every link must resolve inside the repository, and
 * the text speaks to users, not to whoever tracked the work.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');

function walk(dir: string, keep: (file: string) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...walk(path, keep));
    else if (keep(path)) out.push(path);
  }
  return out;
}

const markdown = [join(root, 'README.md'), ...walk(join(root, 'docs'), (f) => f.endsWith('.md')), ...walk(join(root, 'bench'), (f) => f.endsWith('.md'))];
const sources = ['core', 'plugins', 'bench'].flatMap((d) => walk(join(root, d), (f) => f.endsWith('.ts')));

describe('docs', () => {
  it('every relative link in README and docs resolves to a file of the repository', () => {
    const broken: string[] = [];
    for (const file of markdown) {
      // code blocks and spans show examples (a markdown image an answer carries), not links
      const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/i.test(target)) continue; // same-page anchor, http(s):, mailto:
        const path = resolve(dirname(file), target);
        if (!path.startsWith(root + '/') || !existsSync(path)) broken.push(`${relative(root, file)}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('regression: no doc or code comment points outside the repository (../shared)', () => {
    const outside = [...markdown, ...sources].filter((f) => /\.\.\/shared\b|\/work\/shared\b/.test(readFileSync(f, 'utf8'))).map((f) => relative(root, f));
    expect(outside).toEqual([]);
  });

  it('regression: docs speak to users, not of work items ("issue 3", "the admin issue")', () => {
    const found: string[] = [];
    for (const file of [...markdown, ...sources]) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\b(issue \d+|the [a-z-]+ issue\b|\(later\) stats)/gi)) found.push(`${relative(root, file)}: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });
});
