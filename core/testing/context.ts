/**
 * What every check gets: the running Switchboard with the plugin, its fake upstream, and the
 * settings of the run. Built once per suite by the suite's setup (suite.ts).
 */
import type { FailureKind } from '../contract/provider.js';
import type { KitSwitchboard } from './switchboard.js';
import type { ScriptableUpstream } from './upstream.js';

export interface KitSettings {
  /** The model the checks ask for (a client's name for it). */
  model: string;
  /** The user message of every request. */
  prompt: string;
  /** The credentials' secrets: none may reach a client or a log line. */
  secrets: string[];
  /** Frames the `cut` scenario sends before dropping the connection. */
  cutAfterFrames: number;
  /** How long the upstream may stay open after the client leaves. */
  abortLimitMs: number;
  /** Expected kinds that differ from the defaults, by check id. */
  kinds: Partial<Record<string, FailureKind>>;
  /** The bad option of the options check. */
  badOption?: { key: string; value: unknown };
}

export interface KitContext {
  plugin: unknown;
  /** The provider entry the kit started (without `id` and `plugin`). */
  entry: Record<string, unknown>;
  sb: KitSwitchboard;
  upstream: ScriptableUpstream | undefined;
  settings: KitSettings;
  /** Every error body a client received during the run, for the secrets check. */
  errorBodies: string[];
}

/** The chat request body of the checks. */
export function chatBody(ctx: KitContext, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: ctx.settings.model, messages: [{ role: 'user', content: ctx.settings.prompt }], ...extra };
}

/** The credential's failures by kind (all credentials summed). */
export function failuresByKind(ctx: KitContext): Partial<Record<FailureKind, number>> {
  const out: Partial<Record<FailureKind, number>> = {};
  for (const c of ctx.sb.handle.pool.snapshot()) {
    for (const [k, n] of Object.entries(c.failuresByKind)) out[k as FailureKind] = (out[k as FailureKind] ?? 0) + (n ?? 0);
  }
  return out;
}

/** The upstream, or a failure saying the check needs one. */
export function needUpstream(ctx: KitContext): ScriptableUpstream {
  if (!ctx.upstream) throw new Error('this check needs a fake upstream: pass `upstream`, or skip the check with a reason (`skip: { <check>: "why" }`)');
  return ctx.upstream;
}
