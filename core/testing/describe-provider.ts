/**
 * `await describeProvider(plugin, options)`: the conformance suite registered with the test runner
 * in use. Async because the runner is imported on demand; both vitest and node:test allow the
 * top-level await in a test file, and the suite is registered before the file's collection ends.
 */
import type { ProviderPlugin } from '../contract/provider.js';
import { detectRunner } from './runner.js';
import { planSuite, type DescribeProviderOptions, type PlannedCheck } from './suite.js';

export async function describeProvider(plugin: ProviderPlugin<any>, options: DescribeProviderOptions): Promise<void> {
  const suite = planSuite(plugin, options);
  const runner: DescribeProviderOptions['runner'] & { skip?: (name: string) => unknown } = options.runner ?? (await detectRunner());
  if (!runner.before || !runner.after) throw new Error('describeProvider: the runner needs before and after hooks');
  runner.describe(suite.name, () => {
    runner.before!(() => suite.setup());
    runner.after!(() => suite.teardown());
    for (const c of suite.checks) register(runner, c);
  });
}

function register(runner: NonNullable<DescribeProviderOptions['runner']> & { skip?: (name: string) => unknown }, c: PlannedCheck): void {
  // A skip is reported as one, by the runner's own skip when it has one: never a silent pass.
  if (c.skip) runner.skip ? runner.skip(c.name) : runner.it(c.name, async () => {});
  else runner.it(c.name, () => c.run());
}
