/**
 * The conformance suite as data: a setup that starts the fake upstream and a Switchboard serving
 * the plugin, one entry per check (or its skip and the reason), and a teardown. describeProvider
 * registers it with a test runner; runConformance runs it in memory and returns the results.
 */
import type { FailureKind, ProviderPlugin, Timeouts } from '../contract/provider.js';
import type { Check } from './check.js';
import { foldCheck, orderCheck, toolFoldCheck, usageCheck } from './checks-answers.js';
import { abortCheck } from './checks-abort.js';
import { failureChecks } from './checks-failures.js';
import { optionsCheck, secretsCheck } from './checks-hygiene.js';
import type { KitContext, KitSettings } from './context.js';
import { startKitSwitchboard } from './switchboard.js';
import type { ScriptableUpstream } from './upstream.js';

/** Every check, in the order they run (the secrets check last: it also reads what the others logged). */
export const CHECKS: readonly Check[] = [foldCheck, toolFoldCheck, orderCheck, usageCheck, abortCheck, ...failureChecks, optionsCheck, secretsCheck];

/** A credential as the config takes it: the secret, or `{ value, name?, tier? }`. */
export type KitCredential = string | { value: string; name?: string; tier?: string; tags?: string[] };

export interface DescribeProviderOptions {
  /** The suite's name; default `provider "<plugin name>" conformance`. */
  name?: string;
  /** The model the checks ask for. */
  model: string;
  /** The plugin's options (its keys of the provider entry); a function gets the started upstream. */
  options?: Record<string, unknown> | ((upstream: ScriptableUpstream | undefined) => Record<string, unknown>);
  /** Starts the fake upstream (closed after the suite). Without one, checks that need it fail unless skipped. */
  upstream?: () => ScriptableUpstream | Promise<ScriptableUpstream>;
  /** The credentials the provider gets; default one made-up secret. The secrets check looks for each. */
  credentials?: KitCredential[];
  /** Checks that do not apply, each with the reason (shown in the test name): `{ abort: 'no upstream' }`. `failures` skips every failure check. */
  skip?: Record<string, string>;
  /** Expected failure kinds that differ from docs/resilience.md's defaults, by check id. */
  kinds?: Partial<Record<string, FailureKind>>;
  /** The option value the options check starts with; default: a wrong type for the schema's first typed key. */
  badOption?: { key: string; value: unknown };
  /** More keys of the provider entry (core keys: `models`, `pool`, ...). */
  entry?: Record<string, unknown>;
  /** The user message; default `Say something.` */
  prompt?: string;
  /** Frames the cut scenario sends before dropping the connection; default 3. */
  cutAfterFrames?: number;
  /** How long the upstream may stay open after a client leaves; default 1000 ms. */
  abortLimitMs?: number;
  /** The provider's timeouts in the suite; default first byte and idle 1 s, total 8 s, so a hang costs a second. */
  timeouts?: Partial<Timeouts>;
  /** The test runner's functions, to use instead of the detected runner. */
  runner?: Runner;
}

/** What the kit needs of a test runner (vitest, node:test, mocha, jest all have it). */
export interface Runner {
  describe(name: string, fn: () => void): unknown;
  it(name: string, fn: () => Promise<void>): unknown;
  before?(fn: () => Promise<void>): unknown;
  after?(fn: () => Promise<void>): unknown;
}

export interface PlannedCheck {
  id: string;
  /** The test name: the title, with `(skipped: reason)` when skipped. */
  name: string;
  skip?: string;
  run(): Promise<void>;
}

export interface Suite {
  name: string;
  setup(): Promise<void>;
  teardown(): Promise<void>;
  checks: PlannedCheck[];
}

const secretOf = (c: KitCredential) => (typeof c === 'string' ? c : c.value);

export function planSuite(plugin: ProviderPlugin<any>, o: DescribeProviderOptions): Suite {
  const credentials = o.credentials ?? ['sk-conformance-secret-5f2a9c1e7b3d4'];
  const settings: KitSettings = {
    model: o.model,
    prompt: o.prompt ?? 'Say something.',
    secrets: credentials.map(secretOf),
    cutAfterFrames: o.cutAfterFrames ?? 3,
    abortLimitMs: o.abortLimitMs ?? 1000,
    kinds: o.kinds ?? {},
    badOption: o.badOption,
  };
  let ctx: KitContext | undefined;
  let upstream: ScriptableUpstream | undefined;
  const known = new Set(CHECKS.flatMap((c) => [c.id, ...(c.groups ?? [])]));
  const unknown = Object.keys(o.skip ?? {}).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`describeProvider: skip names no check: ${unknown.join(', ')} (checks: ${[...known].join(', ')})`);

  const skipOf = (c: Check): string | undefined => {
    for (const k of [c.id, ...(c.groups ?? [])]) if (o.skip?.[k]) return o.skip[k];
    return undefined;
  };

  return {
    name: o.name ?? `provider "${plugin.name}" conformance`,
    async setup() {
      upstream = await o.upstream?.();
      const options = typeof o.options === 'function' ? o.options(upstream) : (o.options ?? {});
      const entry = {
        ...options,
        credentials,
        models: [o.model],
        timeouts: { firstByteMs: 1000, idleMs: 1000, totalMs: 8000, ...o.timeouts },
        // One attempt, no tripping, no waiting out a cooldown: each check's failure is counted once
        // and answered at once, and the next check starts clean.
        retry: { attempts: 1 },
        pool: { waitForCooldownMs: 0 },
        breaker: { consecutiveFailures: 1000 },
        cooldowns: { transientSkipRequests: 0 },
        ...o.entry,
      };
      ctx = { plugin, entry, sb: await startKitSwitchboard(plugin, entry), upstream, settings, errorBodies: [] };
    },
    async teardown() {
      // The upstream first: a provider that leaks an upstream call would hold the Switchboard's close.
      await upstream?.close();
      await ctx?.sb.close();
    },
    checks: CHECKS.map((c) => {
      const skip = skipOf(c);
      const title = typeof c.title === 'function' ? c.title(settings) : c.title;
      return {
        id: c.id,
        name: skip ? `${title} (skipped: ${skip})` : title,
        skip,
        async run() {
          if (!ctx) throw new Error('the suite did not start (see the setup error)');
          const cannot = c.needs?.map((k) => upstream?.unsupported?.[k]).find(Boolean);
          if (cannot) throw new Error(`the fake upstream cannot play this check's scenario (${cannot}): skip it with that reason`);
          upstream?.reset();
          await ctx.sb.app.switchboard.admin.reset(ctx.sb.handle);
          await c.run(ctx);
        },
      };
    }),
  };
}
