import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorId } from '../../errors/registry.js';
import type { GatewayError } from '../../errors/gateway-error.js';
import { logRouteError, sendError, toGatewayError } from '../error-handler.js';

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

/** Send a gateway error in Anthropic's envelope. */
export function sendAnthropicError(reply: FastifyReply, e: GatewayError): FastifyReply {
  const out = anthropicError(e);
  if (out.headers) reply.headers(out.headers);
  return reply.code(out.status).type('application/json').send(JSON.stringify(out.body));
}

/** A route group's error handler answering in Anthropic's envelope: `/v1/messages`. */
export function anthropicErrorHandler(err: FastifyError | GatewayError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toGatewayError(err);
  logRouteError(request, err, e);
  return sendAnthropicError(reply, e);
}

/**
 * For routes both SDKs call (`/v1/models`): Anthropic's envelope when the request carries
 * `anthropic-version`, as Anthropic's SDK and Claude Code always do; OpenAI's otherwise.
 */
export function eitherErrorHandler(err: FastifyError | GatewayError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const e = toGatewayError(err);
  logRouteError(request, err, e);
  return request.headers['anthropic-version'] ? sendAnthropicError(reply, e) : sendError(reply, e);
}
