/**
 * `UpstreamError.quota`: what a provider learnt of its credential's window at a failure reaches
 * its own `classify` as `UpstreamFailure.quota`, through the real dispatch (any provider; grok-web
 * uses it for the quota read after a 429, see grok-web.test.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { UpstreamError } from '../core/index.js';
import { ManualClock } from '../core/state/clock.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
let sb: RunningSwitchboard | undefined;

afterEach(async () => {
  await sb?.close();
  sb = undefined;
});

async function start(clock: ManualClock) {
  sb = await startSwitchboard(
    { providers: [{ id: 'q', plugin: './quota-provider.ts', credentials: [{ value: 'secret-one', name: 'one' }], retry: { attempts: 1 } }] },
    { dir: fixtures, clock },
  );
}

async function ask(model: string): Promise<number> {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: `q/${model}`, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

const modelView = (model: string) => sb!.app.switchboard.providers.get('q')!.pool.snapshot()[0].models[model];

describe('a provider-set quota on the thrown error', () => {
  it('reaches classify: nothing left rests the credential for the stated window', async () => {
    const clock = new ManualClock(Date.now());
    await start(clock);
    expect(await ask('spent')).toBe(429);
    const m = modelView('spent');
    expect(m.cooldownReason).toBe('quota exhausted (HTTP 429, none left)');
    expect(m.cooldownUntil).toBe(clock.now() + 90_000);
  });

  it('reaches classify when set after construction, and on a subclass of UpstreamError', async () => {
    const clock = new ManualClock(Date.now());
    await start(clock);
    expect(await ask('burst')).toBe(429);
    expect(modelView('burst').cooldownReason).toBe('rate limited (HTTP 429, 7 left)');
    expect(modelView('burst').cooldownUntil).toBe(clock.now() + 5_000);
    await ask('in-band');
    expect(modelView('in-band').cooldownReason).toBe('quota exhausted (in-band, none left)');
    expect(modelView('in-band').cooldownUntil).toBe(clock.now() + 30_000);
  });

  it('is absent when the provider set none (the core default decides)', async () => {
    await start(new ManualClock(Date.now()));
    expect(await ask('plain')).toBe(429);
    expect(modelView('plain').cooldownReason).toBe('rate limited');
  });
});

describe('UpstreamError subclasses', () => {
  it('instanceof: the subclass matches its own instances only; UpstreamError matches them all', () => {
    class InBand extends UpstreamError {}
    const plain = new UpstreamError('x', { status: 429 });
    const own = new InBand('y');
    expect(own instanceof UpstreamError).toBe(true);
    expect(own instanceof InBand).toBe(true);
    expect(plain instanceof InBand).toBe(false);
    expect(new Error('z') instanceof InBand).toBe(false);
  });

  it('carries quota from its init, undefined otherwise', () => {
    expect(new UpstreamError('x', { quota: { remaining: 1 } }).quota).toEqual({ remaining: 1 });
    expect(new UpstreamError('x').quota).toBeUndefined();
  });
});
