import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import { CallSignal, readBounded, requestUpstream, type Logger } from '../../core/index.js';

/** The statsig value most REST-dialect clients sent (base64 of a fake JS error): the `http` transport's default. */
export const STATIC_STATSIG = 'ZTpUeXBlRXJyb3I6IENhbm5vdCByZWFkIHByb3BlcnRpZXMgb2YgdW5kZWZpbmVkIChyZWFkaW5nICdjaGlsZE5vZGVzJyk=';

/** `statsig:` as configured: a fixed value, `random` (a fresh fake per request), or a signer you run. */
export type StatsigOption = string | { signerUrl: string };

/** A signed value is good this long; the signer is asked again after. */
const SIGNED_FOR_MS = 60 * 60_000;
const SIGNER_TIMEOUT_MS = 10_000;
/** A signer's answer is a short JSON object; more is not one. */
const SIGNER_ANSWER_BYTES = 4096;
const META = /<meta\b[^>]*\bname\s*=\s*["']grok[-_]?site[-_]?verification["'][^>]*>/i;
const CONTENT = /\bcontent\s*=\s*["']([^"']*)["']/i;

/** A value grok.com takes as `x-statsig-id`: base64 (standard or URL-safe, padded or not) of exactly 70 bytes. */
export function isSignedStatsig(value: unknown): value is string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) return false;
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64').length === 70;
}

const randomStatsig = () => Buffer.from(`e:TypeError: Cannot read properties of undefined (reading '${randomBytes(6).toString('hex')}')`).toString('base64');

/** The site-verification value grok.com's page carries, which a signer signs with. */
export function siteVerification(html: string): string | undefined {
  const tag = META.exec(html)?.[0];
  const content = tag && CONTENT.exec(tag)?.[1];
  return content || undefined;
}

interface Signed {
  value: string;
  until: number;
}

export interface StatsigDeps {
  dispatcher: Dispatcher;
  origin: string;
  /** Headers of a page load with an account (cookies, user agent). */
  pageHeaders: (secret: string | undefined) => Record<string, string>;
  /** For the signer's origin (no proxy: it is a service you run). */
  signer?: Dispatcher;
  log: Logger;
  now?: () => number;
}

/**
 * Where `x-statsig-id` comes from for the REST calls that want one (quota reads, the REST chat
 * dialect). A fixed value or `random` as configured; with `{ signerUrl }`, a value your signer
 * makes for each method and path from the site-verification meta of grok.com's page, kept an hour
 * (shared by all accounts, one request to the signer at a time per path), asked again once after
 * grok.com rejects one (code 7), and the last good one kept when the signer fails. Without the
 * option the header is not sent (the `http` transport defaults to the static value it always used).
 */
export class Statsig {
  readonly #signed = new Map<string, Signed>();
  readonly #signing = new Map<string, Promise<string | undefined>>();
  readonly #now: () => number;

  constructor(
    private readonly option: StatsigOption | undefined,
    private readonly deps: StatsigDeps,
  ) {
    this.#now = deps.now ?? Date.now;
  }

  /** True when a rejected value can be replaced by asking again (a signer is configured). */
  get renewable(): boolean {
    return typeof this.option === 'object';
  }

  /** The header value for `method path`, or undefined to send none. */
  async value(method: string, path: string, secret: string | undefined): Promise<string | undefined> {
    const o = this.option;
    if (o === undefined) return undefined;
    if (typeof o === 'string') return o === 'random' ? randomStatsig() : o;
    const key = `${method} ${path}`;
    const held = this.#signed.get(key);
    if (held && held.until > this.#now()) return held.value;
    let pending = this.#signing.get(key);
    if (!pending) {
      pending = this.#sign(o.signerUrl, method, path, secret).finally(() => this.#signing.delete(key));
      this.#signing.set(key, pending);
    }
    return pending;
  }

  /** grok.com rejected the value for `method path` (code 7): the next call asks the signer again. */
  reject(method: string, path: string): void {
    const held = this.#signed.get(`${method} ${path}`);
    if (held) held.until = 0; // still the fallback if the signer fails
  }

  async #sign(signerUrl: string, method: string, path: string, secret: string | undefined): Promise<string | undefined> {
    const key = `${method} ${path}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const meta = await this.#meta(secret);
        const value = await this.#askSigner(signerUrl, method, path, meta);
        this.#signed.set(key, { value, until: this.#now() + SIGNED_FOR_MS });
        return value;
      } catch (err) {
        if (attempt === 1) this.deps.log.warn({ path, err: (err as Error).message }, 'the statsig signer gave no value; the last good one (or none) is sent');
      }
    }
    return this.#signed.get(key)?.value;
  }

  /** The meta of `/index` (or `/`, where `/index` is a 404 without it). */
  async #meta(secret: string | undefined): Promise<string> {
    for (const path of ['/index', '/']) {
      const signal = CallSignal.timeout(SIGNER_TIMEOUT_MS, 'the grok.com page did not load in time');
      try {
        const res = await this.deps.dispatcher.request({ origin: this.deps.origin, path, method: 'GET', headers: this.deps.pageHeaders(secret), signal: signal as unknown as AbortSignal });
        const html = await readBounded(res.body, 1 << 20);
        const meta = siteVerification(html);
        if (meta) return meta;
        if (!(path === '/index' && res.statusCode === 404)) throw new Error(`grok.com ${path} answered HTTP ${res.statusCode} without the site-verification meta`);
      } finally {
        signal.clear();
      }
    }
    throw new Error('grok.com has no site-verification meta on / either');
  }

  async #askSigner(signerUrl: string, method: string, path: string, metaContent: string): Promise<string> {
    const url = new URL(signerUrl);
    const signal = CallSignal.timeout(SIGNER_TIMEOUT_MS, 'the statsig signer did not answer in time');
    try {
      // A plain request: undici follows no redirect, so a signer cannot send us elsewhere.
      if (!this.deps.signer) throw new Error('no dispatcher for the statsig signer');
      const res = await requestUpstream(this.deps.signer, {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ method, path, environment: { metaContent } }),
        signal,
      });
      const text = await readBounded(res.body, SIGNER_ANSWER_BYTES + 1);
      if (text.length > SIGNER_ANSWER_BYTES) throw new Error('the signer answered more than 4 KiB');
      const value = (JSON.parse(text) as Record<string, unknown>)['x-statsig-id'];
      if (!isSignedStatsig(value)) throw new Error('the signer answered without a valid x-statsig-id (base64 of 70 bytes)');
      return value;
    } finally {
      signal.clear();
    }
  }
}
