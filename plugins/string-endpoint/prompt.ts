import type { FastifyRequest } from 'fastify';
import { GatewayError } from '../../core/index.js';
import type { Settings } from './settings.js';

/** What one request asks: a prompt, and the model to ask. */
export interface Question {
  prompt: string;
  model: string;
}

export const MISSING_PROMPT = 'Missing prompt: pass ?q=... or a request body.';

/**
 * Read the prompt and model of a request. The prompt is the body (raw text, a JSON string, or a
 * JSON object's `q` or `prompt`), else `?q=`; the model is `?model=`, else a JSON body's `model`,
 * else the configured default. Throws the GatewayError the client should see.
 */
export function readQuestion(request: FastifyRequest, settings: Settings): Question {
  const query = (request.query ?? {}) as Record<string, unknown>;
  const body = bodyFields(request.body);
  const prompt = body.prompt ?? single(query, 'q');
  if (prompt === undefined || !prompt.trim()) throw new GatewayError('SWB_ERR_MISSING_PARAM', MISSING_PROMPT, { param: 'q' });
  const chars = lengthOver(prompt, settings.maxChars);
  if (chars !== undefined) {
    throw new GatewayError('SWB_ERR_BODY_TOO_LARGE', `The prompt is ${chars} characters long; this endpoint accepts at most ${settings.maxChars}.`, { param: 'q' });
  }
  const model = single(query, 'model') || body.model || settings.model;
  if (!model) {
    throw new GatewayError('SWB_ERR_MISSING_PARAM', "Missing model: pass the 'model' query parameter (?model=<id>; GET /v1/models lists them). This server has no default model for /v1/string.", {
      param: 'model',
    });
  }
  return { prompt, model };
}

/** A query parameter given at most once, as a string. */
function single(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined || typeof v === 'string') return v;
  throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${name}': pass it once.`, { param: name });
}

/** The prompt and model a parsed body carries: raw text and JSON strings are the prompt itself. */
function bodyFields(body: unknown): { prompt?: string; model?: string } {
  if (body === undefined || body === null) return {};
  if (typeof body === 'string') return body ? { prompt: body } : {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new GatewayError('SWB_ERR_INVALID_TYPE', 'Invalid JSON body: expected a string or an object with "q" (or "prompt").', { param: 'body' });
  }
  const fields = body as Record<string, unknown>;
  const name = fields.q !== undefined ? 'q' : 'prompt';
  return { prompt: stringField(fields, name), model: stringField(fields, 'model') };
}

function stringField(fields: Record<string, unknown>, name: string): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null || typeof v === 'string') return v ?? undefined;
  throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${name}': expected a string.`, { param: name });
}

/**
 * The prompt's length in characters (code points) when it is over `max`, else undefined. UTF-16
 * length is an upper bound, so most prompts are never counted.
 */
function lengthOver(text: string, max: number): number | undefined {
  if (text.length <= max) return undefined;
  let n = 0;
  for (const _ of text) n++;
  return n > max ? n : undefined;
}
