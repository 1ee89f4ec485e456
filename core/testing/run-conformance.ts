/**
 * The suite run in memory, without a test runner: each check's outcome returned, failures as
 * values. For tests of the kit itself (the broken fixtures must fail, with the right words) and
 * for tools that want a report rather than test output.
 */
import type { ProviderPlugin } from '../contract/provider.js';
import { planSuite, type DescribeProviderOptions } from './suite.js';

export interface CheckResult {
  id: string;
  name: string;
  status: 'passed' | 'failed' | 'skipped';
  /** The failure's message. */
  message?: string;
  ms: number;
}

/** Run the suite (or only the checks named in `only`); resolves with one result per check. */
export async function runConformance(plugin: ProviderPlugin<any>, options: Omit<DescribeProviderOptions, 'runner'> & { only?: string[] }): Promise<CheckResult[]> {
  const suite = planSuite(plugin, options);
  const out: CheckResult[] = [];
  await suite.setup();
  try {
    for (const c of suite.checks) {
      if (options.only && !options.only.includes(c.id)) continue;
      const start = Date.now();
      if (c.skip) {
        out.push({ id: c.id, name: c.name, status: 'skipped', ms: 0 });
        continue;
      }
      try {
        await c.run();
        out.push({ id: c.id, name: c.name, status: 'passed', ms: Date.now() - start });
      } catch (err) {
        out.push({ id: c.id, name: c.name, status: 'failed', message: (err as Error).message, ms: Date.now() - start });
      }
    }
  } finally {
    await suite.teardown();
  }
  return out;
}
