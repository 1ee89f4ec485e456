import type { Dispatcher } from 'undici';
import { branded } from '../contract/brand.js';
import type { QuotaObservation } from '../contract/provider.js';
import type { HeaderMap } from './header-value.js';

/** Longest upstream error body kept; enough for any JSON error, bounded against floods. */
const ERROR_BODY_LIMIT = 64 * 1024;

const BRAND = branded('UpstreamError');

export interface UpstreamErrorInit {
  status?: number;
  headers?: HeaderMap;
  body?: string;
  malformed?: boolean;
  quota?: QuotaObservation;
}

/**
 * An upstream answered, but not with what we asked for: a non-2xx status, or a body outside the
 * protocol (`malformed`). Providers throw it; the core classifies it and decides what to do. A
 * provider with errors of its own inside the answer (Grok's in-band ones) may subclass it.
 */
export class UpstreamError extends Error {
  static override [Symbol.hasInstance](value: unknown): boolean {
    // The brand for UpstreamError itself (two copies of the core); a subclass checks its prototype.
    return this === UpstreamError ? BRAND.is(value) : Function.prototype[Symbol.hasInstance].call(this, value);
  }

  readonly [BRAND.mark] = true;
  readonly status: number | undefined;
  readonly headers: HeaderMap | undefined;
  readonly body: string | undefined;
  readonly malformed: boolean;
  /**
   * What the provider learnt of the credential's window on the way to this failure (a quota read
   * after a 429, say), for its `classify`: it arrives as `UpstreamFailure.quota`. Settable after
   * construction, since the read usually happens after the error was thrown.
   */
  quota: QuotaObservation | undefined;

  constructor(message: string, init: UpstreamErrorInit = {}) {
    super(message);
    this.name = 'UpstreamError';
    this.status = init.status;
    this.headers = init.headers;
    this.body = init.body;
    this.malformed = init.malformed ?? false;
    this.quota = init.quota;
  }

  /** The upstream broke its protocol (bad JSON, broken frames, wrong content type). */
  static malformed(message: string, body?: string): UpstreamError {
    return new UpstreamError(message, { malformed: true, body: body?.slice(0, 2048) });
  }

  /** Read (a bounded part of) a non-2xx response (undici's, or the core's direct one) and turn it into an error. */
  static async fromResponse(res: Pick<Dispatcher.ResponseData, 'statusCode' | 'headers'> & { body: AsyncIterable<Buffer> & { destroy?: () => void } }): Promise<UpstreamError> {
    const body = await readBounded(res.body, ERROR_BODY_LIMIT);
    return new UpstreamError(`upstream answered HTTP ${res.statusCode}`, {
      status: res.statusCode,
      headers: res.headers,
      body,
    });
  }
}

/** Read a body as text up to `limit` bytes and discard the rest. */
export async function readBounded(body: AsyncIterable<Buffer> & { destroy?: () => void }, limit: number): Promise<string> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      if (size < limit) parts.push(chunk.subarray(0, limit - size));
      size += chunk.length;
    }
  } catch {
    // A body cut short still tells us something; keep what arrived.
  }
  return Buffer.concat(parts).toString('utf8');
}
