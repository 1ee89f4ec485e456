/** How the anthropic provider reads Anthropic's error bodies and rate-limit headers. */
import { describe, expect, it } from 'vitest';
import { classifyAnthropic } from '../plugins/anthropic/classify.js';
import { anthropicQuota, rateLimitWait } from '../plugins/anthropic/rate-limits.js';

const failure = (status: number, type: string, message: string, headers: Record<string, string> = {}) => ({
  status,
  headers,
  body: JSON.stringify({ type: 'error', error: { type, message }, request_id: 'req_1' }),
  model: 'claude-sonnet-4-5',
  error: new Error('x'),
});
const at = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

describe('classifyAnthropic', () => {
  it('maps each error type to its failure kind', () => {
    expect(classifyAnthropic(failure(400, 'invalid_request_error', 'max_tokens: Field required'))).toEqual({ kind: 'request_invalid' });
    expect(classifyAnthropic(failure(401, 'authentication_error', 'invalid x-api-key'))).toEqual({ kind: 'credential_invalid' });
    expect(classifyAnthropic(failure(403, 'permission_error', 'Your API key does not have permission to use the specified resource.'))).toEqual({ kind: 'credential_invalid' });
    expect(classifyAnthropic(failure(403, 'permission_error', 'Your organization does not have access to model claude-opus-4-1.'))).toEqual({ kind: 'credential_model_denied' });
    expect(classifyAnthropic(failure(404, 'not_found_error', 'model: claude-nope'))).toEqual({ kind: 'request_invalid', modelNotFound: true });
    expect(classifyAnthropic(failure(404, 'not_found_error', 'Not Found'))).toEqual({ kind: 'request_invalid', modelNotFound: false });
    expect(classifyAnthropic(failure(413, 'request_too_large', 'Request exceeds the maximum allowed number of bytes.'))).toEqual({ kind: 'request_invalid' });
    for (const [s, t] of [[500, 'api_error'], [529, 'overloaded_error'], [504, 'timeout_error']] as const) expect(classifyAnthropic(failure(s, t, 'x'))).toEqual({ kind: 'transient' });
  });

  it('an account out of credit disables the key, with advice', () => {
    const v = classifyAnthropic(failure(400, 'invalid_request_error', 'Your credit balance is too low to access the Anthropic API.'));
    expect(v).toMatchObject({ kind: 'credential_invalid', advice: expect.stringContaining('credit') });
    expect(classifyAnthropic(failure(402, 'billing_error', 'billing'))).toMatchObject({ kind: 'credential_invalid' });
  });

  it('429: retry-after wins; else the spent limit reset; else the soonest', () => {
    const now = Date.now();
    expect(classifyAnthropic(failure(429, 'rate_limit_error', 'x', { 'retry-after': '7' }))).toEqual({ kind: 'rate_limited', retryAfterMs: 7000 });
    const h = {
      'anthropic-ratelimit-requests-remaining': '3',
      'anthropic-ratelimit-requests-reset': at(now + 10_000),
      'anthropic-ratelimit-output-tokens-remaining': '0',
      'anthropic-ratelimit-output-tokens-reset': at(now + 40_000),
    };
    const w = rateLimitWait(h, now);
    expect(w.limitType).toBe('output-tokens');
    expect(w.waitMs).toBeGreaterThan(38_000);
    expect(w.waitMs).toBeLessThanOrEqual(40_000);
    const soonest = rateLimitWait({ 'anthropic-ratelimit-tokens-remaining': '5', 'anthropic-ratelimit-tokens-reset': at(now + 20_000) }, now);
    expect(soonest.limitType).toBeUndefined();
    expect(soonest.waitMs).toBeGreaterThan(18_000);
    expect(rateLimitWait({}, now)).toEqual({ waitMs: undefined, limitType: undefined });
  });

  it('reads the request and token window of a successful answer', () => {
    const now = Date.now();
    const q = anthropicQuota({
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '49',
      'anthropic-ratelimit-requests-reset': '2030-01-01T00:00:00Z',
      'anthropic-ratelimit-tokens-limit': '40000',
      'anthropic-ratelimit-tokens-remaining': '39000',
    }, now);
    expect(q).toEqual({ remaining: 49, limit: 50, resetAt: Date.parse('2030-01-01T00:00:00Z'), observedAt: now, remainingTokens: 39000, limitTokens: 40000 });
    expect(anthropicQuota({}, now)).toBeUndefined();
  });
});
