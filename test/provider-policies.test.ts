/**
 * One provider's cockatiel policies, composed: retry of transient failures, a breaker per model and
 * the provider-wide breaker for `provider_gone`. The first attempt and the closed provider-wide
 * breaker are run around cockatiel's layers (they cost promises per call); these tests hold the
 * composition to what running through every layer means.
 */
import { BrokenCircuitError } from 'cockatiel';
import { describe, expect, it } from 'vitest';
import { CallSignal } from '../core/contract/call-signal.js';
import type { FailureKind } from '../core/contract/provider.js';
import { AttemptFailed } from '../core/resilience/attempt-failed.js';
import { CircuitOpen, ProviderPolicies } from '../core/resilience/policies.js';
import { DEFAULT_RESILIENCE, type ResilienceSettings } from '../core/resilience/settings.js';

const fail = (kind: FailureKind, final = false) => new AttemptFailed(kind, { model: 'm', error: new Error(`upstream ${kind}`) }, final);

function policies(over: { attempts?: number; consecutiveFailures?: number; goneRecoveryMs?: number } = {}): ProviderPolicies {
  const s: ResilienceSettings = {
    retry: { ...DEFAULT_RESILIENCE.retry, attempts: over.attempts ?? 3, initialDelayMs: 1, maxDelayMs: 2 },
    breaker: { ...DEFAULT_RESILIENCE.breaker, consecutiveFailures: over.consecutiveFailures ?? 5, goneRecoveryMs: over.goneRecoveryMs ?? 60_000 },
    bulkhead: DEFAULT_RESILIENCE.bulkhead,
  };
  return new ProviderPolicies(s);
}

/** An attempt function that fails with `failures` in order, then answers 'ok'; `calls` counts it. */
function script(...failures: AttemptFailed[]) {
  const f = Object.assign(
    async () => {
      f.calls++;
      const next = failures.shift();
      if (next) throw next;
      return 'ok';
    },
    { calls: 0 },
  );
  return f;
}

describe('provider policies', () => {
  it('retries a transient failure until retry.attempts tries in all, then throws the last failure', async () => {
    const p = policies({ attempts: 3 });
    const recovers = script(fail('transient'), fail('transient'));
    await expect(p.run('m', recovers)).resolves.toBe('ok');
    expect(recovers.calls).toBe(3);

    const last = fail('transient');
    const never = script(fail('transient'), fail('transient'), last);
    await expect(p.run('m2', never)).rejects.toBe(last);
    expect(never.calls).toBe(3);
  });

  it('does not retry with retry.attempts 1, a failure past the total timeout, or a failure that is not transient', async () => {
    const once = script(fail('transient'));
    await expect(policies({ attempts: 1 }).run('m', once)).rejects.toBeInstanceOf(AttemptFailed);
    expect(once.calls).toBe(1);

    const p = policies({ attempts: 3 });
    for (const f of [fail('transient', true), fail('rate_limited'), fail('request_invalid')]) {
      const s = script(f);
      await expect(p.run('m', s)).rejects.toBe(f);
      expect(s.calls).toBe(1);
    }
  });

  it('starts no retry once the client has left, and a backoff in progress ends when it leaves', async () => {
    const left = new CallSignal();
    left.abort(new Error('client gone'));
    const s = script(fail('transient'));
    await expect(policies().run('m', s, undefined, left)).rejects.toBeInstanceOf(AttemptFailed);
    expect(s.calls).toBe(1);

    const client = new CallSignal();
    const slow = new ProviderPolicies({ ...DEFAULT_RESILIENCE, retry: { attempts: 3, initialDelayMs: 60_000, maxDelayMs: 60_000 } });
    const waits = script(fail('transient'));
    const run = slow.run('m', waits, undefined, client);
    setTimeout(() => client.abort(new Error('client gone')), 20);
    const started = Date.now();
    await expect(run).rejects.toThrow('client gone');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(waits.calls).toBe(1);
  });

  it('opens the model breaker after consecutive transient failures; other models still run', async () => {
    const p = policies({ attempts: 1, consecutiveFailures: 2 });
    for (let i = 0; i < 2; i++) await expect(p.run('m', script(fail('transient')))).rejects.toBeInstanceOf(AttemptFailed);
    const refused = script();
    const err = await p.run('m', refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect(p.explain(err, 'm')).toMatchObject({ scope: 'model' });
    expect(refused.calls).toBe(0);
    await expect(p.run('other', script())).resolves.toBe('ok');
    expect(p.openBreakers()).toEqual({ m: { state: 'open', retryInMs: expect.any(Number) } });
  });

  it('provider_gone is not retried and opens the provider-wide breaker at once: no model of the provider runs', async () => {
    const p = policies({ attempts: 3 });
    const opened: [string, number][] = [];
    p.onOwnChange = (model, ms) => opened.push([model, ms]);
    const gone = fail('provider_gone');
    const s = script(gone);
    await expect(p.run('m', s)).rejects.toBe(gone); // the failure itself, not a breaker error
    expect(s.calls).toBe(1);
    expect(opened).toEqual([['*', 60_000]]);

    const refused = script();
    const err = await p.run('another-model', refused).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokenCircuitError);
    const why = p.explain(err, 'another-model');
    expect(why).toBeInstanceOf(CircuitOpen);
    expect(why).toMatchObject({ scope: 'provider' });
    expect(refused.calls).toBe(0);
    expect(Object.keys(p.openBreakers())).toEqual(['*']);
  });

  it('a retry that fails provider_gone ends the retries and opens the provider-wide breaker', async () => {
    const p = policies({ attempts: 3 });
    const gone = fail('provider_gone');
    const s = script(fail('transient'), gone);
    await expect(p.run('m', s)).rejects.toBe(gone);
    expect(s.calls).toBe(2);
    expect(Object.keys(p.openBreakers())).toEqual(['*']);
  });

  it('after goneRecoveryMs one call probes the provider; its success closes the provider-wide breaker', async () => {
    const p = policies({ goneRecoveryMs: 30 });
    await expect(p.run('m', script(fail('provider_gone')))).rejects.toBeInstanceOf(AttemptFailed);
    await expect(p.run('m', script())).rejects.toBeInstanceOf(BrokenCircuitError);
    await new Promise((r) => setTimeout(r, 60));
    const probe = script();
    await expect(p.run('m', probe)).resolves.toBe('ok');
    expect(probe.calls).toBe(1);
    expect(p.openBreakers()).toEqual({});
    // closed again: the next provider_gone opens it again
    await expect(p.run('m', script(fail('provider_gone')))).rejects.toBeInstanceOf(AttemptFailed);
    expect(Object.keys(p.openBreakers())).toEqual(['*']);
  });

  it('two calls in flight that both fail provider_gone: each gets its own failure, the breaker opens once', async () => {
    const p = policies();
    const opened: string[] = [];
    p.onOwnChange = (model, ms) => {
      if (ms > 0) opened.push(model);
    };
    const a = fail('provider_gone');
    const b = fail('provider_gone');
    const results = await Promise.allSettled([p.run('m', script(a)), p.run('n', script(b))]);
    expect(results).toEqual([
      { status: 'rejected', reason: a },
      { status: 'rejected', reason: b },
    ]);
    expect(opened).toEqual(['*']);
  });
});
