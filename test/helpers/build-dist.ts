/**
 * Vitest global setup: brings `dist/` up to date before any test file runs, because the CLI and
 * shutdown tests spawn the compiled `dist/core/main.js` as `npm start` does, and a bare
 * `npx vitest run` in a fresh clone has no `dist/`. `tsc -b` compiles nothing when `dist/` is
 * current (a quarter of a second), so `npm test`'s own build before vitest costs nothing twice.
 * In watch mode it builds again before each rerun, so an edit reaches the spawned process too.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

async function build(root: string): Promise<void> {
  try {
    await promisify(execFile)(process.execPath, [tsc, '-b', 'tsconfig.build.json'], { cwd: root });
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    // tsc reports compile errors on stdout: show them rather than a bare exit code.
    throw new Error(`build of dist/ failed (tsc -b tsconfig.build.json):\n${stdout}${stderr}`);
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const root = project.config.root;
  await build(root);
  project.onTestsRerun(() => build(root));
}
