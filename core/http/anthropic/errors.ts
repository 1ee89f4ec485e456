import type { ErrorId } from '../../errors/registry.js';
import type { GatewayError } from '../../errors/gateway-error.js';

/** Anthropic's error envelope. */
export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * "Try again later, we are full": Anthropic's 529 `overloaded_error`, which Claude Code and the
 * SDK retry with backoff. Other 503s (nothing reachable, shutting down, no credentials) are not
 * about load and stay 503 `api_error`.
 */
const OVERLOADED = new Set<ErrorId>(['SWB_ERR_CIRCUIT_OPEN', 'SWB_ERR_PROVIDER_BUSY', 'SWB_ERR_QUEUE_TIMEOUT']);

const TYPES: Record<number, string> = {
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
};

/** A gateway error as Anthropic would have answered it: status, envelope and headers (retry-after). */
export function anthropicError(e: GatewayError): { status: number; body: AnthropicErrorBody; headers: Record<string, string> | undefined } {
  const overloaded = OVERLOADED.has(e.id);
  const status = overloaded ? 529 : e.status;
  const type = overloaded ? 'overloaded_error' : (TYPES[status] ?? (status < 500 ? 'invalid_request_error' : 'api_error'));
  return { status, body: { type: 'error', error: { type, message: e.message } }, headers: e.headers };
}

/** The envelope as JSON text, for ErrorFormats (errors raised before a route runs). */
export const renderAnthropicError = (e: GatewayError): { contentType: string; body: string } => ({
  contentType: 'application/json; charset=utf-8',
  body: JSON.stringify(anthropicError(e).body),
});
