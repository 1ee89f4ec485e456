import type { FailureKind, UpstreamFailure } from '../contract/provider.js';
import type { GatewayError } from '../errors/gateway-error.js';
import { ownError } from './own-error.js';
import type { PoolEntry } from './pool-entry.js';
import type { Rank } from './selector.js';
import type { Tried } from './tried.js';

/**
 * No credential of a provider can serve a model now, and none will within the queue's reach:
 * every one is cooling down, disabled or denied that model. The dispatcher moves to the next
 * target; when every target says this, the client gets a 429 (or a 503 when nothing will free).
 */
export class PoolExhausted extends Error {
  /** The last credential fault of this request, when rotating past faults is what emptied the pool. */
  lastFault: { kind: FailureKind; failure: UpstreamFailure } | undefined;

  constructor(
    readonly providerId: string,
    readonly model: string,
    /** When the first credential frees, epoch ms; undefined when none will by itself. */
    readonly freeAt: number | undefined,
    /** Why, for people: `2 rate limited, 1 disabled (credential_invalid)`. */
    readonly summary: string,
    /** Every credential is denied this model: the client has no access to it here. */
    readonly deniedOnly = false,
    /**
     * What the pool's state means by itself, for the client: it has no credentials, or it has none
     * configured and its upstream refused it. Says more than any upstream failure of the request.
     */
    readonly error?: GatewayError,
  ) {
    super(`provider "${providerId}" has no credential for model ${model}: ${summary}`);
    this.name = 'PoolExhausted';
  }
}

/**
 * Why none of `entries` can serve `model` (the selector found none and waiting will not help):
 * the pool's own reason when it has one (no credentials; keyless and refused), else a count of
 * each credential's reason and when the first cooldown ends.
 */
export function exhaustedFor(providerId: string, entries: readonly PoolEntry[], missing: string | undefined, model: string, now: number, tried: Tried | undefined, rank: Rank | undefined): PoolExhausted {
  const own = ownError(providerId, entries, missing, now);
  if (own) return new PoolExhausted(providerId, model, undefined, own.summary, false, own.error);
  let freeAt: number | undefined;
  let denied = 0;
  const counts = new Map<string, number>();
  const count = (why: string) => counts.set(why, (counts.get(why) ?? 0) + 1);
  let unranked = 0;
  for (const e of entries) {
    if (rank && rank(e.credential, model) === undefined) {
      unranked++;
      count(`not for model ${model}`);
      continue;
    }
    if (!e.record.enabled) {
      count(`disabled (${e.record.disabledReason ?? 'by an admin'})`);
      continue;
    }
    if (e.peekModel(model)?.denied) {
      denied++;
      count(`denied model ${model}`);
      continue;
    }
    const until = e.coolingUntil(model, now);
    if (until) {
      const m = e.peekModel(model);
      const why = (m?.cooldownUntil ?? 0) >= (e.record.cooldownUntil ?? 0) ? m?.cooldownReason : e.record.cooldownReason;
      count(why ?? 'cooling down');
      if (freeAt === undefined || until < freeAt) freeAt = until;
      continue;
    }
    if (tried?.has(e)) count('already failed this request');
  }
  const summary = [...counts].map(([why, n]) => `${n} ${why}`).join(', ');
  return new PoolExhausted(providerId, model, freeAt, summary, denied > 0 && denied + unranked === entries.length);
}
