/**
 * Who is in a pool (Membership: configured credentials with an admin's changes, records kept
 * across rebuilds, names an admin may use) and what a request start does to the records
 * (startRequest), each on its own: no pool, no queue.
 */
import { describe, expect, it } from 'vitest';
import { toCredential, maskedTail } from '../core/pool/credentials.js';
import { credentialKey } from '../core/pool/credential-changes.js';
import { startRequest } from '../core/pool/leasing.js';
import { disableEntry, enableEntry, Membership, resetEntry } from '../core/pool/membership.js';
import { DEFAULT_POOL_SETTINGS } from '../core/pool/settings.js';
import { MemoryStore } from '../core/state/memory-store.js';

const NOW = Date.UTC(2026, 0, 1);
const P = 'acme';
const cred = (name: string | undefined, secret = `sk-${(name ?? 'x').repeat(20)}`) => toCredential({ secret, ...(name ? { name } : {}) });

describe('Membership', () => {
  it('entries follow the configured credentials; a credential that stays keeps its record and live counters', () => {
    const store = new MemoryStore();
    const m = new Membership(P, store, [cred('a'), cred('b')], undefined);
    expect(m.entries.map((e) => [e.key, e.index])).toEqual([['a', 0], ['b', 1]]);
    const b = m.entries[1];
    b.record.requests = 7;
    b.inFlight = 2;
    m.configure([cred('b'), cred('c')], undefined);
    m.rebuild();
    expect(m.entries.map((e) => [e.key, e.index])).toEqual([['b', 0], ['c', 1]]);
    expect(m.entries[0]).toBe(b);
    expect([b.record.requests, b.inFlight]).toEqual([7, 2]);
    // The record of a credential no longer in service leaves the store's section.
    expect(Object.keys(store.data.pools[P])).toEqual(['b', 'c']);
  });

  it("an admin's removals and additions (in the store) apply on rebuild, additions in the order added", () => {
    const store = new MemoryStore();
    const m = new Membership(P, store, [cred('a'), cred('b')], undefined);
    store.data.credentials![P] = {
      z: { secret: 'sk-zzzzzzzzzzzzzzzz', name: 'z', at: 2 },
      y: { secret: 'sk-yyyyyyyyyyyyyyyy', name: 'y', at: 1 },
      a: { removed: true, at: 3 },
    };
    m.rebuild();
    expect(m.entries.map((e) => e.key)).toEqual(['b', 'y', 'z']);
  });

  it('no credentials configured: one keyless entry; configured but all resolved to nothing: none, and why', () => {
    const keyless = new Membership(P, new MemoryStore(), [], undefined);
    expect([keyless.entries.length, keyless.keyless, keyless.missing]).toEqual([1, true, undefined]);
    expect(keyless.entries[0].key).toBe('anonymous');
    const missing = new Membership(P, new MemoryStore(), [], 'ACME_KEY is not set');
    expect([missing.entries.length, missing.keyless, missing.missing]).toEqual([0, false, 'ACME_KEY is not set']);
  });

  it('records saved in the store are read back at start-up, checked', () => {
    const store = new MemoryStore();
    store.data.pools[P] = { a: { requests: 4, enabled: false, disabledReason: 'credential_invalid', models: 'nonsense' }, gone: { requests: 1 } };
    const m = new Membership(P, store, [cred('a')], undefined);
    expect(m.entries[0].record).toMatchObject({ requests: 4, enabled: false, disabledReason: 'credential_invalid', models: {} });
    expect(Object.keys(store.data.pools[P])).toEqual(['a']);
  });

  it('an admin finds a credential by shown id, state key, secret, or its id from before ids were unique', () => {
    const unnamed = cred(undefined, 'sk-abcdefghijklmnop1234');
    const m = new Membership(P, new MemoryStore(), [cred('a'), unnamed], undefined);
    const [a, u] = m.entries;
    expect(m.findAll('a')).toEqual([a]);
    expect(m.findAll(u.id)).toEqual([u]);
    expect(m.findAll(credentialKey(unnamed))).toEqual([u]);
    expect(m.findAll('sk-abcdefghijklmnop1234')).toEqual([u]);
    expect(m.findAll(maskedTail('sk-abcdefghijklmnop1234'))).toEqual([u]);
    expect(m.findAll('nobody')).toEqual([]);
  });

  it('disable, enable and reset take an entry out of service and back', () => {
    const m = new Membership(P, new MemoryStore(), [cred('a')], undefined);
    const [e] = m.entries;
    disableEntry(e, 'by an admin', NOW);
    expect(e.record).toMatchObject({ enabled: false, disabledReason: 'by an admin', disabledAt: NOW });
    e.gateUntil = NOW + 10;
    e.record.skipRequests = 3;
    e.model('m').denied = true;
    enableEntry(e);
    expect([e.record.enabled, e.record.disabledReason, e.record.skipRequests, e.gateUntil, e.model('m').denied]).toEqual([true, undefined, 0, 0, undefined]);
    e.record.requests = 9;
    e.model('m').observed = { remainingRequests: 3 };
    const windows = [{ requests: 2, windowMs: 60_000 }];
    e.record.windows = { '60000': { start: NOW - 1000, count: 2 } };
    resetEntry(e, windows, NOW);
    // Counters go; what the upstream said and full request windows stay (the window still rests it).
    expect(e.record.requests).toBe(0);
    expect(e.record.models.m.observed).toEqual({ remainingRequests: 3 });
    expect(e.record.cooldownUntil).toBe(NOW + 59_000);
    expect(e.record.statsSince).toBe(NOW);
  });
});

describe('startRequest', () => {
  const throttle = DEFAULT_POOL_SETTINGS.throttle;

  it('counts the start on the credential and model, and starts its interval', () => {
    const [e] = new Membership(P, new MemoryStore(), [cred('a')], undefined).entries;
    expect(startRequest([e], e, 'm', NOW, throttle, false)).toBe(false);
    expect([e.inFlight, e.lastStartAt, e.record.requests, e.record.lastUsedAt, e.model('m').requests]).toEqual([1, NOW, 1, NOW, 1]);
    startRequest([e], e, 'n', NOW + 5, { ...throttle, scope: 'model' }, false);
    expect([e.lastStart('n'), e.lastStart('m'), e.inFlight]).toEqual([NOW + 5, 0, 2]);
  });

  it('every start counts down the credentials sitting out, and says when others changed', () => {
    const es = new Membership(P, new MemoryStore(), [cred('a'), cred('b'), cred('c')], undefined).entries;
    es[1].record.skipRequests = 2;
    expect(startRequest(es, es[0], 'm', NOW, throttle, false)).toBe(true);
    expect(es[1].record.skipRequests).toBe(1);
    es[1].record.skipRequests = 0;
    es[0].record.skipRequests = 1; // the one serving counts down too, but only its own record changed
    expect(startRequest(es, es[0], 'm', NOW, throttle, false)).toBe(false);
    expect(es[0].record.skipRequests).toBe(0);
  });

  it('counts request windows only when asked; a window it fills rests the credential until it ends', () => {
    const [e] = new Membership(P, new MemoryStore(), [cred('a')], undefined).entries;
    const windowed = { ...throttle, windows: [{ requests: 2, windowMs: 60_000 }] };
    startRequest([e], e, 'm', NOW, windowed, false);
    expect(e.record.windows).toBeUndefined();
    startRequest([e], e, 'm', NOW, windowed, true);
    expect(e.record.cooldownUntil).toBeUndefined();
    startRequest([e], e, 'm', NOW + 1, windowed, true);
    expect(e.record.cooldownUntil).toBe(NOW + 60_000);
    expect(e.record.cooldownReason).toBe('request window full (2 per 1min)');
  });
});
