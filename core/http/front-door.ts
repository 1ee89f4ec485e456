import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error.js';
import { toGatewayError } from './error-handler.js';

/** How an error is written for a path whose routes do not speak JSON (`/v1/string`). */
export type ErrorRenderer = (e: GatewayError) => { contentType: string; body: string };

/** Longest path parameter the router accepts (image ids); fastify's default of 100 is too short. */
export const MAX_PARAM_LENGTH = 2048;

/**
 * Errors the HTTP layer produces before (or instead of) a route: a URL the router cannot decode,
 * an over-long parameter (fastify's `frameworkErrors`), and what Node's parser refuses on the
 * socket — headers too large, broken framing, a body cut short, a request too slow
 * (`clientErrorHandler`). All answer as the OpenAI envelope, or through the renderer an extension
 * registered for the path, like the errors of the routes themselves.
 */
export class ErrorFormats {
  readonly #formats: { path: string; render: ErrorRenderer; header?: string }[] = [];

  /**
   * Answer errors for `path` (and `path?…`, `path/…`) with `render` instead of the envelope; with
   * `header`, only for requests that carry it (`anthropic-version` on `/v1/models`).
   */
  add(path: string, render: ErrorRenderer, header?: string): void {
    this.#formats.push({ path, render, header });
  }

  /** The error as its path (and, where one was registered, a header of the request) wants it written. */
  render(url: string | undefined, e: GatewayError, headers?: IncomingHttpHeaders): { contentType: string; body: string } {
    if (url) {
      for (const f of this.#formats) {
        if (f.header !== undefined && headers?.[f.header] === undefined) continue;
        if (url.startsWith(f.path) && (url.length === f.path.length || url[f.path.length] === '?' || url[f.path.length] === '/')) return f.render(e);
      }
    }
    return { contentType: 'application/json; charset=utf-8', body: JSON.stringify(e.toEnvelope()) };
  }

  /** fastify's `frameworkErrors`: there is a request and a reply, but no route. */
  readonly framework = (err: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const e = frameworkError(err);
    request.log.info({ reqId: request.id, status: e.status, code: e.id }, e.message);
    const out = this.render(request.raw.url, e, request.headers);
    if (e.headers) reply.headers(e.headers);
    void reply.code(e.status).type(out.contentType).send(out.body);
  };

  /** fastify's `clientErrorHandler` (called with the fastify instance as `this`): only a socket is left. */
  client(log: FastifyBaseLogger, err: ClientError, socket: Socket): void {
    // A reset socket has nobody to answer; a response already under way cannot be replaced.
    const current = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable || current?.headersSent) {
      socket.destroy();
      return;
    }
    const e = clientError(err, current !== undefined);
    log.debug({ status: e.status, code: e.id, err: err.code }, e.message);
    const out = this.render(current?.req?.url ?? requestLineUrl(err.rawPacket), e, current?.req?.headers);
    const body = Buffer.from(out.body);
    socket.write(`HTTP/1.1 ${e.status} ${REASONS[e.status] ?? 'Bad Request'}\r\nContent-Type: ${out.contentType}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`);
    socket.write(body);
    socket.destroy();
  }
}

/** What Node's HTTP parser reports on `clientError`. */
export interface ClientError extends Error {
  code?: string;
  /** The bytes the parser was reading when it failed. */
  rawPacket?: Buffer;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

function frameworkError(err: FastifyError): GatewayError {
  switch (err.code) {
    case 'FST_ERR_BAD_URL':
      return new GatewayError('SWB_ERR_BAD_URL', 'The URL has invalid percent-encoding (for example a lone or malformed %XX escape).');
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return new GatewayError('SWB_ERR_URL_TOO_LONG', `A segment of the URL path is longer than ${MAX_PARAM_LENGTH} characters.`);
    default:
      return toGatewayError(err);
  }
}

function clientError(err: ClientError, inRequest: boolean): GatewayError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return new GatewayError('SWB_ERR_HEADERS_TOO_LARGE', 'The request headers are larger than this server accepts (16 KiB in all).');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new GatewayError('SWB_ERR_REQUEST_TIMEOUT', 'The request did not arrive in time: its headers or body stopped coming.');
    default:
      // The headers were read, so the body is what broke: it ended before its Content-Length.
      if (inRequest && err.code === 'HPE_INVALID_EOF_STATE') return new GatewayError('SWB_ERR_INVALID_JSON', 'The request body does not match its Content-Length: the connection ended before it did.');
      return new GatewayError('SWB_ERR_BAD_REQUEST', `The request is not valid HTTP/1.1 (${err.code ?? 'malformed'}).`);
  }
}

/** The path of the request line in the bytes the parser failed on, if they start with one. */
function requestLineUrl(raw: Buffer | undefined): string | undefined {
  if (!raw) return undefined;
  const line = raw.subarray(0, 2048).toString('latin1');
  const m = /^[A-Z]+ (\S+) HTTP\//.exec(line);
  return m?.[1];
}
