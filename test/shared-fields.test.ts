/**
 * How instances sharing state meet (state.driver: redis), without Redis: a credential record as
 * fields, what one instance sends, and what it keeps when the shared copy comes back.
 */
import { describe, expect, it } from 'vitest';
import { recordFields, recordFromFields, isCounterField } from '../core/state/record-fields.js';
import { freshRecord, type CredentialRecord } from '../core/state/records.js';
import { diffFields, mergeFields, type FieldOp, type Fields } from '../core/state/field-merge.js';

/** What Redis does with the ops (HINCRBY, HSET, HDEL), for a copy kept in a Map. */
function apply(shared: Fields, ops: FieldOp[]): void {
  for (const op of ops) {
    if (op[0] === 'r') shared.clear();
    else if (op[0] === 'i') {
      const n = Number(shared.get(op[1]) ?? 0) + op[2];
      if (n === 0 && op[3] === 1) shared.delete(op[1]);
      else shared.set(op[1], String(n));
    } else if (op[0] === 's') shared.set(op[1], op[2]);
    else shared.delete(op[1]);
  }
}

/** One instance's copy and its last view of the shared one. */
class Instance {
  record: CredentialRecord;
  base: Fields;
  constructor(shared: Fields) {
    this.record = recordFromFields(shared);
    this.base = new Map(shared);
  }
  sync(shared: Fields, whileAway?: (r: CredentialRecord) => void): void {
    const sent = recordFields(this.record);
    // As core/state/redis-sync.ts does: a field the shared copy lacks holds a fresh record's value.
    apply(shared, diffFields(sent, new Map([...recordFields(freshRecord()), ...this.base]), isCounterField));
    whileAway?.(this.record); // changes made while the sync was on its way
    const merged = mergeFields(new Map(shared), sent, recordFields(this.record), isCounterField);
    this.record = recordFromFields(merged);
    this.base = new Map(shared);
  }
}

function used(r: CredentialRecord, model: string, n: number): void {
  r.requests += n;
  const m = (r.models[model] ??= { ...freshRecord(), models: undefined } as never);
  m.requests = (m.requests ?? 0) + n;
  m.failuresByKind ??= {};
}

describe('credential records shared between instances', () => {
  it('a record survives the trip to fields and back, odd model names included', () => {
    const r = freshRecord();
    r.requests = 7;
    r.failuresByKind = { transient: 2, rate_limited: 1 };
    r.cooldownUntil = 123;
    r.cooldownReason = 'rate limited (UserByModelByMinute)';
    r.quota = { remaining: 10, limit: 20, resetAt: 99 };
    r.quotaSpent = 3;
    r.models['openai/gpt-4o|mini'] = { requests: 7, successes: 5, failures: 2, failuresByKind: { transient: 2 }, tokensIn: 1, tokensOut: 2, observed: { remainingRequests: 4, last429Type: 'x' }, denied: true };
    r.models['__proto__'] = { requests: 1, successes: 1, failures: 0, failuresByKind: {}, tokensIn: 0, tokensOut: 0 };
    const back = recordFromFields(recordFields(r));
    expect(back).toEqual(r);
    expect(Object.hasOwn(back.models, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).requests).toBeUndefined(); // no prototype was touched
  });

  it('counters add up: two instances counting at once lose nothing', () => {
    const shared: Fields = new Map();
    const a = new Instance(shared);
    const b = new Instance(shared);
    used(a.record, 'm1', 5);
    used(b.record, 'm1', 3);
    b.record.failuresByKind.transient = 2;
    a.sync(shared);
    b.sync(shared);
    a.sync(shared);
    expect(a.record.requests).toBe(8);
    expect(b.record.requests).toBe(8);
    expect(a.record.models.m1.requests).toBe(8);
    expect(a.record.failuresByKind).toEqual({ transient: 2 });
  });

  it('values: the latest write wins, and a value nobody changed stays; defaults never overwrite', () => {
    const shared: Fields = new Map();
    const a = new Instance(shared);
    const b = new Instance(shared);
    a.record.cooldownUntil = 1000;
    a.record.lastError = 'transient: a';
    a.sync(shared);
    b.record.lastError = 'transient: b';
    b.sync(shared);
    a.sync(shared);
    expect(a.record.cooldownUntil).toBe(1000);
    expect(a.record.lastError).toBe('transient: b');
    expect(b.record.cooldownUntil).toBe(1000);
  });

  it('what changes while a sync is on its way is kept and sent next time', () => {
    const shared: Fields = new Map();
    const a = new Instance(shared);
    const b = new Instance(shared);
    used(b.record, 'm1', 4);
    b.sync(shared);
    used(a.record, 'm1', 1);
    a.sync(shared, (r) => {
      r.requests += 6; // six more requests started meanwhile
      r.lastError = 'rate_limited: late';
    });
    expect(a.record.requests).toBe(11); // 4 from B + 1 sent + 6 not yet sent
    expect(a.record.lastError).toBe('rate_limited: late');
    a.sync(shared);
    b.sync(shared);
    expect(b.record.requests).toBe(11);
    expect(b.record.lastError).toBe('rate_limited: late');
  });
});
