import type { FastifyError, FastifyInstance } from 'fastify';
import { GatewayError, parseJsonBody } from '../../core/index.js';

export const TEXT = 'text/plain; charset=utf-8';

/**
 * Bodies as this plugin's routes take them, scoped to its own context: JSON is parsed (an empty
 * body is no body, not an error), and everything else — `text/plain`, curl's default
 * `application/x-www-form-urlencoded`, no Content-Type at all — is the prompt as raw UTF-8 text.
 */
export function acceptText(app: FastifyInstance): void {
  const raw = (_request: unknown, body: string | Buffer, done: (err: Error | null, body?: unknown) => void) => done(null, String(body));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body);
    if (!text.trim()) return done(null, undefined);
    try {
      done(null, parseJsonBody(text));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, raw);
  app.addContentTypeParser('*', { parseAs: 'string' }, raw);
}

/** An error as this plugin answers it: a status, one line of text, and headers such as Retry-After. */
interface PlainError {
  status: number;
  message: string;
  code: string;
  headers?: Record<string, string>;
  /** A bug, not the client's or the upstream's fault: logged with its stack (never sent). */
  internal?: boolean;
}

/**
 * Errors of this plugin's routes (auth, parsing, the dispatcher's) as plain text with their status,
 * instead of the core's JSON envelope. Only the message is sent; stacks go to the log at most.
 */
export function plainTextErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | GatewayError, request, reply) => {
    const e = toPlain(err);
    if (e.internal) request.log.error({ reqId: request.id, err }, 'unhandled error');
    else request.log.info({ reqId: request.id, status: e.status, code: e.code }, e.message);
    if (e.headers) reply.headers(e.headers);
    return reply.code(e.status).type(TEXT).send(e.message);
  });
}

const FASTIFY_MESSAGES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'The request body is larger than this server accepts (server.bodyLimit).',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'The Content-Type header is not a valid media type.',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'The request body does not match its Content-Length.',
};

function toPlain(err: FastifyError | GatewayError): PlainError {
  if (err instanceof GatewayError) {
    return { status: err.status, message: err.message, code: err.id, headers: err.headers, internal: err.id === 'SWB_ERR_INTERNAL' };
  }
  const status = err.statusCode;
  if (status && status >= 400 && status < 500) return { status, message: FASTIFY_MESSAGES[err.code] ?? err.message, code: err.code };
  return { status: 500, message: 'The server had an error while processing your request.', code: 'SWB_ERR_INTERNAL', internal: true };
}
