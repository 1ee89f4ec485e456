import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['reflect-metadata'],
    testTimeout: 15_000,
    hookTimeout: 15_000,
    // Suites listen on loopback ports; spread them over forks, not threads, so a crash stays local.
    pool: 'forks',
  },
});
