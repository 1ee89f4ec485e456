import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['reflect-metadata'],
    // The CLI and shutdown tests run the compiled dist/: build it (incrementally) first.
    globalSetup: ['test/helpers/build-dist.ts'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Suites listen on loopback ports; spread them over forks, not threads, so a crash stays local.
    pool: 'forks',
  },
});
