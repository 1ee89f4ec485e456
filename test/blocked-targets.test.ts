/**
 * When no target of a route can serve, the one error the client gets names every target's reason,
 * not only the last one's. A real Switchboard over loopback, one fake upstream behind two
 * providers (each with its own key), raw HTTP to read the envelope.
 */
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import type { RunningSwitchboard } from './helpers/switchboard.js';

const KA = 'sk-blocked-a-0123456789abcdef';
const KB = 'sk-blocked-b-0123456789abcdef';

let sb: RunningSwitchboard | undefined;
const fake = useFakeOpenAI({ models: ['gpt-4o-mini'] });
const boards = useSwitchboards();

const provider = (id: string, key: string, extra: Record<string, unknown> = {}) => ({
  id,
  plugin: 'openai-compatible',
  baseUrl: fake.up.url,
  models: ['gpt-4o-mini'],
  apiKey: key,
  retry: { attempts: 1 },
  ...extra,
});

async function ask() {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'both', messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.status, error: ((await res.json()) as { error: { message: string; code: string } }).error };
}

describe('every target blocked', () => {
  it("regression: a 503 names each target's reason, not only the last target's", async () => {
    boards.defer(fake.up.whenKey([KA, KB], { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } } }));
    sb = await boards.start({ providers: [provider('a', KA), provider('b', KB)], models: { both: ['a/gpt-4o-mini', 'b/gpt-4o-mini'] } });
    const r = await ask();
    expect(r.status).toBe(503);
    expect(r.error.code).toBe('no_upstream_available');
    expect(r.error.message).toContain('provider "a": 1 disabled (credential_invalid)');
    expect(r.error.message).toContain('provider "b": 1 disabled (credential_invalid)');
    expect(r.error.message).not.toContain(KA);
  });

  it('regression: an open breaker on one target and disabled credentials on the other are both named', async () => {
    boards.defer(fake.up.whenKey([KA], { kind: 'status', status: 500, body: { error: { message: 'the server had an error' } } }));
    boards.defer(fake.up.whenKey([KB], { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } } }));
    sb = await boards.start({
      providers: [provider('a', KA, { breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } }), provider('b', KB)],
      models: { both: ['a/gpt-4o-mini', 'b/gpt-4o-mini'] },
    });
    // First: a answers 500 (its breaker opens), b refuses its key. The last upstream failure sets the status.
    const first = await ask();
    expect(first.status).toBe(502);
    expect(first.error.message).toContain('provider "a": HTTP 500: the server had an error');
    expect(first.error.message).toContain('provider "b": 1 disabled (credential_invalid)');
    // Then: a's breaker is open and b has no credential left.
    const second = await ask();
    expect(second.status).toBe(503);
    expect(second.error.code).toBe('circuit_open');
    expect(second.error.message).toMatch(/^Circuit breaker open for model: both \(retry in \d+s\)/);
    expect(second.error.message).toContain('provider "a": circuit breaker open (retry in');
    expect(second.error.message).toContain('provider "b": 1 disabled (credential_invalid)');
  });

  it('a lone target keeps its message as it was', async () => {
    boards.defer(fake.up.whenKey([KA], { kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided' } } }));
    sb = await boards.start({ providers: [provider('a', KA)], models: { both: 'a/gpt-4o-mini' } });
    const r = await ask();
    expect(r.status).toBe(503);
    expect(r.error.message).not.toContain('Every target');
  });
});
