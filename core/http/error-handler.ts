import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { formatPath, type PathSegment } from '../config/problems.js';
import { GatewayError } from '../errors/gateway-error.js';

interface AjvIssue {
  keyword: string;
  instancePath: string;
  params: Record<string, unknown>;
  message?: string;
}

/** What a union-typed field accepts, for the one message its anyOf failure gets. */
const UNION_HINTS: Record<string, string> = {
  prompt: 'a string or an array of one string',
  input: 'a string, an array of strings, or token arrays',
};

function paramOf(instancePath: string, extra?: string): string {
  const path: PathSegment[] = instancePath
    .split('/')
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  if (extra) path.push(extra);
  return path.length ? formatPath(path) : '';
}

const TYPE_WORDS: Record<string, string> = { array: 'an array', object: 'an object', integer: 'an integer', null: 'null' };
const typeWords = (t: unknown) => String(t).split(',').map((x) => TYPE_WORDS[x] ?? `a ${x}`).join(' or ');

/** Turn fastify's schema failure into an OpenAI-style 400 that names the parameter. */
export function validationError(issues: AjvIssue[]): GatewayError {
  const issue = issues.find((i) => i.keyword === 'anyOf') ?? issues[0];
  const { keyword, instancePath, params } = issue;
  if (keyword === 'required') {
    const param = paramOf(instancePath, String(params.missingProperty));
    return new GatewayError('SWB_ERR_MISSING_PARAM', `Missing required parameter: '${param}'.`, { param });
  }
  const param = paramOf(instancePath) || 'body';
  if (keyword === 'type') {
    return new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${param}': expected ${typeWords(params.type)}.`, { param });
  }
  if (keyword === 'anyOf') {
    const hint = UNION_HINTS[param];
    return new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${param}'${hint ? `: expected ${hint}` : ''}.`, { param });
  }
  if (keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[]).map(String).join(', ');
    return new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${param}': expected one of ${allowed}.`, { param });
  }
  return new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${param}': ${issue.message ?? 'not allowed'}.`, { param });
}

/** Map anything thrown in a route to the error the client should see. */
export function toGatewayError(err: FastifyError | GatewayError | Error): GatewayError {
  if (err instanceof GatewayError) return err;
  const fe = err as FastifyError & { validation?: AjvIssue[] };
  if (fe.validation) return validationError(fe.validation);
  switch (fe.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new GatewayError('SWB_ERR_INVALID_JSON', 'We could not parse the JSON body of your request: it is not valid JSON.');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('SWB_ERR_INVALID_JSON', 'The request body is empty; expected a JSON object.');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('SWB_ERR_BODY_TOO_LARGE', 'The request body is larger than this server accepts (server.bodyLimit).');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('SWB_ERR_UNSUPPORTED_MEDIA_TYPE', "Unsupported Content-Type; send 'Content-Type: application/json'.");
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('SWB_ERR_INVALID_JSON', 'The request body does not match its Content-Length.');
    default:
      break;
  }
  const status = fe.statusCode;
  if (status && status >= 400 && status < 500) {
    return new GatewayError('SWB_ERR_INVALID_VALUE', fe.message, { status, code: null });
  }
  return new GatewayError('SWB_ERR_INTERNAL', 'The server had an error while processing your request.', { cause: err });
}

/** Send a gateway error as the OpenAI envelope. */
export function sendError(reply: FastifyReply, e: GatewayError): FastifyReply {
  if (e.headers) reply.headers(e.headers);
  return reply.code(e.status).type('application/json').send(JSON.stringify(e.toEnvelope()));
}

/** Log an error a route or hook raised: a bug at error level with its stack, anything else as one info line. */
export function logRouteError(request: FastifyRequest, err: unknown, e: GatewayError): void {
  if (e.status >= 500 && e.id === 'SWB_ERR_INTERNAL') request.log.error({ reqId: request.id, err }, 'unhandled error');
  else request.log.info({ reqId: request.id, status: e.status, code: e.id }, e.message);
}

/** Every error and every unknown URL answers with the OpenAI envelope: never HTML, never a stack. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const e = toGatewayError(err);
    logRouteError(request, err, e);
    return sendError(reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new GatewayError('SWB_ERR_UNKNOWN_URL', `Invalid URL (${request.method} ${request.url.split('?')[0]})`)),
  );
}
