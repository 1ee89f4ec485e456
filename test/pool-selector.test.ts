/**
 * The pool's selector on its own: given the entries' state, the strategy, what this request has
 * tried and the time, which credential serves, when to look again, or none. No pool, no clock,
 * no store: entries are built directly and their records set by hand.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toCredential } from '../core/pool/credentials.js';
import { exhaustedFor } from '../core/pool/exhausted.js';
import { PoolEntry } from '../core/pool/pool-entry.js';
import { select, type Rank, type SelectionRules } from '../core/pool/selector.js';
import type { Strategy } from '../core/pool/settings.js';
import type { Tried, TriedHow } from '../core/pool/tried.js';
import { freshRecord } from '../core/state/records.js';

const NOW = Date.UTC(2026, 0, 1);
const MODEL = 'gpt-test';

/** Entries named a, b, c, ... in pool order. */
function entries(...names: string[]): PoolEntry[] {
  return names.map((name, i) => new PoolEntry(i, toCredential({ secret: `sk-${name.repeat(20)}`, name }), name, freshRecord()));
}

function rules(strategy: Strategy = 'round-robin', throttle: Partial<SelectionRules['throttle']> = {}): SelectionRules {
  return { strategy, throttle: { minIntervalMs: 0, maxConcurrent: 0, scope: 'credential', ...throttle } };
}

const tried = (...marks: [PoolEntry, TriedHow][]): Tried => new Map(marks);

/** The name of what was selected: an entry's key, or the raw wait time / undefined. */
function chosen(...args: Parameters<typeof select>): string | number | undefined {
  const s = select(...args);
  return typeof s === 'object' ? s.key : s;
}

afterEach(() => vi.restoreAllMocks());

describe('round-robin', () => {
  it('takes the first that may serve from the cursor on, wrapping around', () => {
    const es = entries('a', 'b', 'c');
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe('a');
    expect(chosen(es, 1, MODEL, NOW, undefined, rules(), undefined)).toBe('b');
    expect(chosen(es, 2, MODEL, NOW, undefined, rules(), undefined)).toBe('c');
    es[2].record.enabled = false;
    expect(chosen(es, 2, MODEL, NOW, undefined, rules(), undefined)).toBe('a');
  });

  it('with a rank, the best ranked win; among equals, the first from the cursor', () => {
    const es = entries('a', 'b', 'c');
    const rank: Rank = (c) => (c?.name === 'a' ? 2 : 1);
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), rank)).toBe('b');
    expect(chosen(es, 2, MODEL, NOW, undefined, rules(), rank)).toBe('c');
  });

  it('a credential the provider does not rank for the model is never chosen; none ranked: none', () => {
    const es = entries('a', 'b');
    const onlyB: Rank = (c) => (c?.name === 'b' ? 0 : undefined);
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), onlyB)).toBe('b');
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), () => undefined)).toBeUndefined();
  });
});

describe('least-used, quota-aware, random', () => {
  it('least-used: the fewest requests; among equals, the one unused longest', () => {
    const es = entries('a', 'b', 'c');
    es[0].record.requests = 3;
    es[1].record.requests = 1;
    es[1].record.lastUsedAt = NOW - 10;
    es[2].record.requests = 1;
    es[2].record.lastUsedAt = NOW - 20;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('least-used'), undefined)).toBe('c');
    es[2].record.requests = 2;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('least-used'), undefined)).toBe('b');
  });

  it('quota-aware: the most requests left in the reported window, less those spent since', () => {
    const es = entries('a', 'b');
    es[0].record.quota = { remaining: 50, resetAt: NOW + 60_000 };
    es[1].record.quota = { remaining: 40, resetAt: NOW + 60_000 };
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('quota-aware'), undefined)).toBe('a');
    es[0].record.quotaSpent = 15; // 35 left
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('quota-aware'), undefined)).toBe('b');
  });

  it('quota-aware: a window that has reset, or was never reported, counts as unlimited', () => {
    const es = entries('a', 'b');
    es[0].record.quota = { remaining: 1_000, resetAt: NOW + 60_000 };
    es[1].record.quota = { remaining: 0, resetAt: NOW - 1 };
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('quota-aware'), undefined)).toBe('b');
    delete es[1].record.quota;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('quota-aware'), undefined)).toBe('b');
  });

  it("quota-aware: the model's own reported window counts before the credential's", () => {
    const es = entries('a', 'b');
    es[0].record.quota = { remaining: 10, resetAt: NOW + 60_000 };
    es[1].record.quota = { remaining: 90, resetAt: NOW + 60_000 };
    es[1].model(MODEL).observed = { remainingRequests: 5, resetAt: NOW + 60_000 };
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('quota-aware'), undefined)).toBe('a');
    // Another model of b has no window of its own: the credential's 90 count.
    expect(chosen(es, 0, 'other-model', NOW, undefined, rules('quota-aware'), undefined)).toBe('b');
  });

  it('random: draws among those that may serve, in cursor order', () => {
    const es = entries('a', 'b', 'c');
    es[1].record.enabled = false;
    const draw = vi.spyOn(Math, 'random');
    draw.mockReturnValue(0);
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('random'), undefined)).toBe('a');
    draw.mockReturnValue(0.99);
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('random'), undefined)).toBe('c');
    expect(chosen(es, 2, MODEL, NOW, undefined, rules('random'), undefined)).toBe('a');
  });
});

describe('what this request has tried', () => {
  it("a 'fault' entry is never chosen, even when it is the only one", () => {
    const es = entries('a', 'b');
    expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'fault']), rules(), undefined)).toBe('b');
    expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'fault'], [es[1], 'fault']), rules(), undefined)).toBeUndefined();
    for (const s of ['least-used', 'quota-aware', 'random'] as const) {
      expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'fault']), rules(s), undefined)).toBe('b');
    }
  });

  it("a 'failed' entry only when nothing untried can serve, the best ranked of them first", () => {
    const es = entries('a', 'b', 'c');
    expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'failed']), rules(), undefined)).toBe('b');
    es[1].record.cooldownUntil = NOW + 1000;
    es[2].record.enabled = false;
    expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'failed']), rules(), undefined)).toBe('a');
    es[1].record.cooldownUntil = undefined;
    es[2].record.enabled = true;
    const all = tried([es[0], 'failed'], [es[1], 'failed'], [es[2], 'failed']);
    expect(chosen(es, 0, MODEL, NOW, all, rules(), (c) => (c?.name === 'c' ? 0 : 1))).toBe('c');
  });

  it("a credential sitting out requests comes before a 'failed' one", () => {
    const es = entries('a', 'b');
    es[1].record.skipRequests = 3;
    expect(chosen(es, 0, MODEL, NOW, tried([es[0], 'failed']), rules(), undefined)).toBe('b');
  });
});

describe('skipped and benched', () => {
  it('skips disabled, denied the model, and cooling down (for all models or this one)', () => {
    const es = entries('a', 'b', 'c', 'd');
    es[0].record.enabled = false;
    es[1].model(MODEL).denied = true;
    es[2].model(MODEL).cooldownUntil = NOW + 1;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe('d');
    es[3].record.cooldownUntil = NOW + 1;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBeUndefined();
    // Denials and per-model cooldowns are about one model: another one may use b and c.
    expect(chosen(es, 0, 'other-model', NOW, undefined, rules(), undefined)).toBe('b');
    expect(chosen(es, 2, 'other-model', NOW, undefined, rules(), undefined)).toBe('c');
    expect(chosen(es, 3, 'other-model', NOW, undefined, rules(), undefined)).toBe('b');
  });

  it('a cooldown that has ended does not skip', () => {
    const es = entries('a');
    es[0].record.cooldownUntil = NOW;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe('a');
  });

  it('skips the keyless entry while it rests', () => {
    const [e] = [new PoolEntry(0, undefined, 'anonymous', freshRecord())];
    e.restUntil = NOW + 60_000;
    expect(select([e], 0, MODEL, NOW, undefined, rules(), undefined)).toBeUndefined();
    expect(select([e], 0, MODEL, NOW + 60_000, undefined, rules(), undefined)).toBe(e);
  });

  it('the soft transient bench: one sitting out serves only when nothing else can, the fewest skips left first', () => {
    const es = entries('a', 'b', 'c');
    es[0].record.skipRequests = 5;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe('b');
    es[1].record.skipRequests = 2;
    es[2].record.skipRequests = 4;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe('b');
    // A better rank beats fewer skips.
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), (c) => (c?.name === 'c' ? 0 : 1))).toBe('c');
  });

  it('a benched credential serves rather than make the caller wait for a throttled one', () => {
    const es = entries('a', 'b');
    es[0].record.skipRequests = 1;
    es[1].lastStartAt = NOW - 100;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { minIntervalMs: 1000 }), undefined)).toBe('a');
  });
});

describe('waiting', () => {
  it('throttled by the interval: wait until the nearest interval ends', () => {
    const es = entries('a', 'b');
    es[0].lastStartAt = NOW - 100;
    es[1].lastStartAt = NOW - 700;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { minIntervalMs: 1000 }), undefined)).toBe(NOW + 300);
    expect(chosen(es, 0, MODEL, NOW + 300, undefined, rules('round-robin', { minIntervalMs: 1000 }), undefined)).toBe('b');
  });

  it("with scope 'model', the interval runs per model", () => {
    const es = entries('a');
    es[0].started(MODEL, NOW - 100);
    const r = rules('round-robin', { minIntervalMs: 1000, scope: 'model' });
    expect(chosen(es, 0, MODEL, NOW, undefined, r, undefined)).toBe(NOW + 900);
    expect(chosen(es, 0, 'other-model', NOW, undefined, r, undefined)).toBe('a');
  });

  it('refused by the shared gate until a time: wait until then', () => {
    const es = entries('a');
    es[0].gateUntil = NOW + 25;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe(NOW + 25);
  });

  it('at the concurrency cap: wait for a slot (Infinity); a throttle beside it gives the time', () => {
    const es = entries('a', 'b');
    es[0].inFlight = 1;
    es[1].inFlight = 1;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { maxConcurrent: 1 }), undefined)).toBe(Infinity);
    es[1].inFlight = 0;
    es[1].gateUntil = NOW + 50;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { maxConcurrent: 1 }), undefined)).toBe(NOW + 50);
  });

  it('a lowered concurrency cap holds until it expires, and never raises the configured one', () => {
    const es = entries('a');
    es[0].inFlight = 1;
    es[0].concurrencyCap = 1;
    es[0].capUntil = NOW + 60_000;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules(), undefined)).toBe(Infinity);
    expect(chosen(es, 0, MODEL, NOW + 60_000, undefined, rules(), undefined)).toBe('a');
    es[0].concurrencyCap = 3;
    es[0].inFlight = 2;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { maxConcurrent: 2 }), undefined)).toBe(Infinity);
  });

  it('a cooling credential is no reason to wait: nothing else can serve, none', () => {
    const es = entries('a', 'b');
    es[0].record.cooldownUntil = NOW + 1000;
    es[1].inFlight = 1;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { maxConcurrent: 1 }), undefined)).toBe(Infinity);
    es[1].inFlight = 0;
    es[1].record.enabled = false;
    expect(chosen(es, 0, MODEL, NOW, undefined, rules('round-robin', { maxConcurrent: 1 }), undefined)).toBeUndefined();
  });
});

describe('purity', () => {
  it('changes nothing: records, counters and the entries are as they were', () => {
    const es = entries('a', 'b', 'c');
    es[0].record.skipRequests = 2;
    es[1].lastStartAt = NOW - 10;
    const before = JSON.stringify(es.map((e) => [e.record, e.inFlight, e.lastStartAt, e.gateUntil]));
    for (const s of ['round-robin', 'least-used', 'quota-aware', 'random'] as const) {
      select(es, 1, MODEL, NOW, tried([es[2], 'failed']), rules(s, { minIntervalMs: 100 }), undefined);
    }
    expect(JSON.stringify(es.map((e) => [e.record, e.inFlight, e.lastStartAt, e.gateUntil]))).toBe(before);
    expect(Object.keys(es[0].record.models)).toEqual([]); // no model record created on the way
  });
});

describe('why none (exhaustedFor)', () => {
  it('counts each reason, gives the first cooldown end, and says when only denials stand in the way', () => {
    const es = entries('a', 'b', 'c');
    es[0].record.enabled = false;
    es[0].record.disabledReason = 'credential_invalid';
    es[1].model(MODEL).cooldownUntil = NOW + 5000;
    es[1].model(MODEL).cooldownReason = 'rate limited';
    es[2].record.cooldownUntil = NOW + 9000;
    es[2].record.cooldownReason = 'rate limited';
    const x = exhaustedFor('acme', es, undefined, MODEL, NOW, undefined, undefined);
    expect(x.summary).toBe('1 disabled (credential_invalid), 2 rate limited');
    expect(x.freeAt).toBe(NOW + 5000);
    expect(x.deniedOnly).toBe(false);
    const denied = entries('a', 'b');
    for (const e of denied) e.model(MODEL).denied = true;
    const d = exhaustedFor('acme', denied, undefined, MODEL, NOW, undefined, undefined);
    expect([d.summary, d.freeAt, d.deniedOnly]).toEqual(['2 denied model gpt-test', undefined, true]);
  });

  it("the pool's own reason first: no credentials at all", () => {
    const x = exhaustedFor('acme', [], 'ACME_KEY is not set', MODEL, NOW, undefined, undefined);
    expect(x.summary).toBe('no credentials');
    expect(x.error?.message).toContain('ACME_KEY is not set');
  });
});
