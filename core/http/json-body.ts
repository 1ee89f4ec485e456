import type { FastifyInstance } from 'fastify';
import { formatPath, type PathSegment } from '../config/problems.js';
import { GatewayError } from '../errors/gateway-error.js';

/**
 * Deepest nesting a request body may have (the body object itself is level 1). Real requests stay
 * far below it (a JSON schema in `tools` or `response_format` reaches 20 or so); far deeper
 * bodies make JSON.stringify, validators and providers' own walks throw RangeError later, where
 * it would be taken for an upstream failure.
 */
export const MAX_JSON_DEPTH = 64;

/** Why a parsed body is refused: its path and what is wrong there. */
interface Refusal {
  path: PathSegment[];
  why: 'depth' | 'proto' | 'constructor';
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Parse a JSON request body and check it once, at the front door: not nested deeper than
 * {@link MAX_JSON_DEPTH}, and no `__proto__` or `constructor.prototype` keys (which would poison
 * objects built from it). One walk over the parsed values, which stops at the limit (so its own
 * recursion is bounded); the path of a refusal is only built on the way out of a failing walk.
 */
export function parseJsonBody(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new GatewayError('SWB_ERR_INVALID_JSON', 'We could not parse the JSON body of your request: it is not valid JSON.');
  }
  if (typeof value === 'object' && value !== null) {
    const refused = check(value as object, 1);
    if (refused) throw refusal(refused);
  }
  return value;
}

function check(node: object, depth: number): Refusal | undefined {
  if (depth > MAX_JSON_DEPTH) return { path: [], why: 'depth' };
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const v: unknown = node[i];
      if (typeof v === 'object' && v !== null) {
        const r = check(v, depth + 1);
        if (r) {
          r.path.unshift(i);
          return r;
        }
      }
    }
    return undefined;
  }
  for (const key in node) {
    // JSON.parse makes `__proto__` an own key; copying the object (spread, Object.assign) would
    // then set the copy's prototype.
    if (key === '__proto__') return { path: [key], why: 'proto' };
    const v: unknown = (node as Record<string, unknown>)[key];
    if (typeof v === 'object' && v !== null) {
      if (key === 'constructor' && hasOwn.call(v, 'prototype')) return { path: [key], why: 'constructor' };
      const r = check(v, depth + 1);
      if (r) {
        r.path.unshift(key);
        return r;
      }
    }
  }
  return undefined;
}

function refusal(r: Refusal): GatewayError {
  const param = formatPath(r.path);
  if (r.why === 'depth') {
    return new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${param}': the request body is nested more than ${MAX_JSON_DEPTH} levels deep.`, { param });
  }
  const key = r.why === 'proto' ? '__proto__' : 'constructor.prototype';
  return new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid key in '${param}': the request body may not contain '${key}' keys (they could alter objects built from it).`, { param });
}

/**
 * The app's JSON body parser: {@link parseJsonBody} instead of fastify's, for every route. A route
 * group that needs the body's text too (to forward it untouched) installs its own with `keepText`,
 * which gets each parsed object with the text it came from.
 */
export function installJsonBody(app: FastifyInstance, keepText?: (value: object, text: string) => void): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (text.length === 0) return done(new GatewayError('SWB_ERR_INVALID_JSON', 'The request body is empty; expected a JSON object.'), undefined);
    let value: unknown;
    try {
      value = parseJsonBody(text);
    } catch (err) {
      return done(err as Error, undefined);
    }
    if (keepText && typeof value === 'object' && value !== null) keepText(value, text);
    done(null, value);
  });
}
