import type { FailureKind, UpstreamFailure } from '../contract/provider.js';
import { GatewayError } from '../errors/gateway-error.js';
import { upstreamErrorBody } from '../upstream/error-body.js';
import { headerValue } from '../upstream/header-value.js';
import { UpstreamError } from '../upstream/upstream-error.js';
import { ExchangeAbort, type Exchange } from './exchange.js';

/** Transport errors that mean the upstream was never reached (as opposed to lost mid-answer). */
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT']);

const UNDICI_TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** undici refusing what it was asked to send: our request, not the upstream, is at fault. */
const OWN_UNDICI_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_NOT_SUPPORTED']);

/**
 * An error our own code threw (the core's or a provider's), not one that came from the upstream:
 * JavaScript's own error types (RangeError from JSON.stringify, TypeError, URIError from
 * decoding...) and undici refusing the request it was given. Upstream trouble arrives as
 * UpstreamError, a transport error (an `E...`/`UND_ERR_...` code), an abort, or a provider's own
 * error class; fetch's network TypeError carries the transport error as its cause.
 */
export function isOwnFault(err: unknown): boolean {
  if (err instanceof RangeError || err instanceof TypeError || err instanceof URIError || err instanceof ReferenceError || err instanceof EvalError) {
    const cause = (err as { cause?: unknown }).cause;
    return !(cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string');
  }
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && OWN_UNDICI_CODES.has(code);
}

/**
 * The client's error for an {@link isOwnFault} failure, or undefined for any other. It is a 500
 * (a bug to fix here, not the client's or the upstream's), and, being a GatewayError, it ends the
 * request without a retry, a failover, a breaker count or blame on the credential: the same body
 * would fail the same way against any of them.
 */
export function ownFaultError(err: unknown, providerId: string, model: string, secrets: readonly string[]): GatewayError | undefined {
  return isOwnFault(err) ? internalError(err, providerId, model, secrets) : undefined;
}

/** A 500 for an exception known to be ours (see {@link ownFaultError}); the cause goes to the log only. */
export function internalError(err: unknown, providerId: string, model: string, secrets: readonly string[]): GatewayError {
  const e = err instanceof Error ? err : new Error(String(err));
  // The cause goes to the log: Node's messages quote the values they refused, which may be secrets.
  const cause = new Error(redact(e.message, secrets));
  cause.name = e.name || 'Error';
  if (e.stack) cause.stack = redact(e.stack, secrets);
  return new GatewayError('SWB_ERR_INTERNAL', `Switchboard failed while handling the request for upstream "${providerId}" (model ${model}): an internal error (${cause.name}); the details are in the server log.`, {
    cause,
  });
}

/** Describe what a provider threw, for `classify`. */
export function toFailure(err: unknown, model: string, ex: Pick<Exchange, 'timedOut'>): UpstreamFailure {
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as NodeJS.ErrnoException).code;
  const failure: UpstreamFailure = { model, error };
  if (code) failure.code = code;
  if (ex.timedOut || (code && UNDICI_TIMEOUTS.has(code)) || (error instanceof ExchangeAbort && error.isTimeout)) {
    failure.timeout = true;
  }
  if (error instanceof UpstreamError) {
    if (error.status !== undefined) failure.status = error.status;
    if (error.headers) failure.headers = error.headers;
    if (error.body !== undefined) failure.body = error.body;
    if (error.malformed) failure.malformed = true;
    if (error.quota) failure.quota = error.quota;
  } else if (error instanceof SyntaxError) {
    failure.malformed = true;
  }
  return failure;
}

/** Remove every known secret from text bound for a client or a log. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && out.includes(s)) out = out.split(s).join('[redacted]');
  return out;
}

/** One line on a failure for the stats (`lastError`): status and the upstream's own words, scrubbed. */
export function describeFailure(f: UpstreamFailure, secrets: readonly string[]): string {
  const said = upstreamErrorBody(f.body)?.message;
  const what = said ? String(said) : f.error.message;
  return redact(f.status ? `HTTP ${f.status}: ${what}` : f.code ? `${f.code}: ${what}` : what, secrets);
}

/** Turn the failure that ended a request into the error the client sees (with the provider's advice, if any). */
export function failureToError(kind: FailureKind, f: UpstreamFailure, providerId: string, secrets: readonly string[]): GatewayError {
  const e = baseError(kind, f, providerId, secrets);
  if (!f.advice) return e;
  return new GatewayError(e.id, `${e.message} ${f.advice}`, { status: e.status, type: e.type, code: e.code, param: e.param, headers: e.headers, cause: f.error });
}

function baseError(kind: FailureKind, f: UpstreamFailure, providerId: string, secrets: readonly string[]): GatewayError {
  const up = upstreamErrorBody(f.body);
  const said = up?.message ? `: ${redact(String(up.message), secrets)}` : '';
  const where = `upstream "${providerId}" (model ${f.model})`;
  switch (kind) {
    case 'request_invalid':
      return new GatewayError('SWB_ERR_UPSTREAM_REJECTED', up?.message ? redact(String(up.message), secrets) : `${where} rejected the request (HTTP ${f.status})`, {
        status: f.status && f.status >= 400 && f.status < 500 ? f.status : 400,
        type: typeof up?.type === 'string' ? up.type : undefined,
        param: typeof up?.param === 'string' ? up.param : null,
        code: up?.code === undefined || up.code === null ? null : String(up.code),
        cause: f.error,
      });
    case 'rate_limited':
    case 'quota_exhausted': {
      const retryAfter = headerValue(f.headers, 'retry-after');
      return new GatewayError('SWB_ERR_UPSTREAM_RATE_LIMITED', `${where} is rate limited${said}`, {
        headers: retryAfter ? { 'retry-after': retryAfter } : undefined,
        cause: f.error,
      });
    }
    case 'credential_invalid':
      return new GatewayError('SWB_ERR_NO_UPSTREAM', `${where} refused Switchboard's credential (HTTP ${f.status ?? '?'})${said}`, { cause: f.error });
    case 'credential_model_denied':
      return new GatewayError('SWB_ERR_MODEL_ACCESS_DENIED', `${where}: none of Switchboard's credentials may use this model${said}`, { param: 'model', cause: f.error });
    case 'provider_gone':
      return new GatewayError('SWB_ERR_NO_UPSTREAM', `${where} is gone (HTTP ${f.status ?? '?'})${said}`, { cause: f.error });
    default:
      break;
  }
  if (f.timeout) {
    const what = f.error instanceof ExchangeAbort ? f.error.message : 'upstream timeout';
    return new GatewayError('SWB_ERR_UPSTREAM_TIMEOUT', `${where}: ${what}`, { cause: f.error });
  }
  if (f.malformed) return new GatewayError('SWB_ERR_BAD_UPSTREAM_RESPONSE', `${where} sent an invalid response: ${redact(f.error.message, secrets)}`, { cause: f.error });
  if (f.status !== undefined) return new GatewayError('SWB_ERR_UPSTREAM_ERROR', `${where} failed with HTTP ${f.status}${said}`, { cause: f.error });
  if (up?.message) return new GatewayError('SWB_ERR_UPSTREAM_ERROR', `${where} reported an error${said}`, { cause: f.error });
  const detail = f.code ?? redact(f.error.message, secrets);
  if (f.code && CONNECT_CODES.has(f.code)) return new GatewayError('SWB_ERR_NO_UPSTREAM', `could not reach ${where}: ${detail}`, { cause: f.error });
  return new GatewayError('SWB_ERR_UPSTREAM_ERROR', `the connection to ${where} failed: ${detail}`, { cause: f.error });
}
