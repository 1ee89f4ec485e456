import { headerValue, upstreamErrorBody, type FailureVerdict, type UpstreamFailure } from '../../core/index.js';

/** When a 429 says nothing usable about its wait. */
const DEFAULT_WAIT_MS = 60_000;
/** `UserConcurrentRequests` clears as soon as a request finishes: rest the token briefly. */
const CONCURRENT_WAIT_MS = 1_000;

/** `x-ratelimit-timeremaining`, else `Retry-After`, else "Please wait N seconds", else 60 s. */
export function waitMs(f: UpstreamFailure): number {
  for (const name of ['x-ratelimit-timeremaining', 'retry-after']) {
    const v = headerValue(f.headers, name);
    if (v !== undefined && /^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  }
  const said = /Please wait (\d+) seconds?/i.exec(f.body ?? '');
  return said ? Number(said[1]) * 1000 : DEFAULT_WAIT_MS;
}

/**
 * GitHub Models' failures as its API reports them: 429s by
 * `x-ratelimit-type` (a daily limit spends the token for that model until its reset; a minute
 * limit rests it for the stated wait; too many concurrent requests rests it a second), per-model
 * refusals that are the token's, unknown models that are the client's, and the HTTP default for
 * the rest (401 invalid, 410 gone, 5xx transient).
 */
export function classifyGitHub(f: UpstreamFailure): FailureVerdict | undefined {
  // A 429 body may be plain text: then there is no code, only the message.
  const code = upstreamErrorBody(f.body)?.code;
  if (f.status === 429) {
    const type = headerValue(f.headers, 'x-ratelimit-type') ?? /exceeded for (\w+)/.exec(f.body ?? '')?.[1];
    const wait = waitMs(f);
    if (type === 'UserConcurrentRequests') return { kind: 'rate_limited', retryAfterMs: CONCURRENT_WAIT_MS, limitType: type, lowerConcurrency: true };
    // The wait of a daily limit is the time to its reset: the token+model rests until then.
    if (type?.endsWith('ByDay') || /per 86400s/.test(f.body ?? '')) return { kind: 'quota_exhausted', retryAfterMs: wait, limitType: type ?? 'UserByModelByDay' };
    return { kind: 'rate_limited', retryAfterMs: wait, limitType: type };
  }
  if (code === 'unknown_model' || /Model not found; expected format/i.test(f.body ?? '')) {
    return { kind: 'request_invalid', modelNotFound: true };
  }
  if (f.status === 403 || code === 'no_access' || code === 'unavailable_model') return { kind: 'credential_model_denied' };
  return undefined; // the HTTP default: 401 invalid, 410 gone, other 4xx the client's, 5xx transient
}
