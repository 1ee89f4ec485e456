import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // The examples import the package by name, as their authors would: here it is the source.
  // The longer name first, or `switchboard` would also swallow `switchboard/testing`.
  resolve: {
    alias: [
      { find: /^switchboard\/testing$/, replacement: here('./core/testing/index.ts') },
      { find: /^switchboard$/, replacement: here('./core/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/test/*.test.js'],
    setupFiles: ['reflect-metadata'],
    // The CLI and shutdown tests run the compiled dist/: build it (incrementally) first.
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Suites listen on loopback ports; spread them over forks, not threads, so a crash stays local.
    pool: 'forks',
    // Most suites wait on sockets and timers, not the CPU: a worker per core (vitest's default
    // leaves one idle, which on a 2-core machine ran the files one at a time: 126 s against 66 s).
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
