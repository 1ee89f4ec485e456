/**
 * Which test runner is loading the file: vitest (it sets VITEST), a runner with globals (jest,
 * mocha, vitest with globals), else node:test, built into Node. Imported lazily, so the kit pulls
 * in no runner the project does not use.
 */
import type { Runner } from './suite.js';

type AnyFn = (...args: any[]) => any;
interface RunnerModule {
  describe: AnyFn;
  it: AnyFn & { skip?: AnyFn };
  before?: AnyFn;
  after?: AnyFn;
  beforeAll?: AnyFn;
  afterAll?: AnyFn;
}

/** The kit's Runner on a runner module's functions (before/after under either name). */
function fromModule(m: RunnerModule): Runner & { skip?: (name: string) => unknown } {
  const it = m.it;
  return {
    describe: (name, fn) => m.describe(name, fn),
    it: (name, fn) => it(name, fn),
    before: m.beforeAll ?? m.before,
    after: m.afterAll ?? m.after,
    skip: it.skip ? (name) => it.skip!(name, () => {}) : undefined,
  };
}

export async function detectRunner(): Promise<Runner & { skip?: (name: string) => unknown }> {
  // Specifiers through a variable: bundlers and tsc leave optional peers alone.
  const vitest = 'vitest';
  const nodeTest = 'node:test';
  if (process.env.VITEST) return fromModule((await import(vitest)) as RunnerModule);
  const g = globalThis as unknown as Partial<RunnerModule>;
  if (typeof g.describe === 'function' && typeof g.it === 'function') return fromModule(g as RunnerModule);
  return fromModule((await import(nodeTest)) as RunnerModule);
}
