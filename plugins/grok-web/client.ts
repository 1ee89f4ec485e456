import { randomBytes, randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import {
  CallSignal,
  UpstreamError,
  createUpstreamDispatcher,
  requestUpstream,
  type CallContext,
  type Credential,
  type QuotaObservation,
} from '../../core/index.js';
import { isRateLimit } from './classify.js';
import { QuotaBook, limitObservation, observation, parseQuota, type ModeQuota } from './quota.js';
import { GrokInBandError } from './translate.js';

export interface ClientOptions {
  baseUrl: string;
  /** The `x-statsig-id` sent, or `random` for a fresh one per request. */
  statsig: string;
  cfClearance?: string;
  userAgent: string;
  /** Already resolved (the option or `GROK_PROXY`). */
  proxyUrl?: string;
}

/** The statsig value most Grok clients send (base64 of a fake JS error, reference §2). */
export const STATIC_STATSIG = 'ZTpUeXBlRXJyb3I6IENhbm5vdCByZWFkIHByb3BlcnRpZXMgb2YgdW5kZWZpbmVkIChyZWFkaW5nICdjaGlsZE5vZGVzJyk=';
export const DEFAULT_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36';

/** A quota read may delay a failed request's answer: it gets this long. */
const QUOTA_READ_TIMEOUT_MS = 10_000;

const randomStatsig = () => Buffer.from(`e:TypeError: Cannot read properties of undefined (reading '${randomBytes(6).toString('hex')}')`).toString('base64');

/** A credential is a bare sso token or a whole cookie string; both become the request's Cookie. */
function cookieOf(secret: string, cfClearance: string | undefined): string {
  const base = secret.includes('=') ? secret : `sso=${secret}; sso-rw=${secret}`;
  return cfClearance && !/cf_clearance=/.test(base) ? `${base}; cf_clearance=${cfClearance}` : base;
}

/**
 * grok.com as one account sees it: the headers every request carries (the account's cookie, the
 * statsig value), uploads, and what is known of each account's quota windows (read from
 * `POST /rest/rate-limits` into a QuotaBook, counted down after each success).
 */
export class GrokClient {
  readonly origin: string;
  readonly #dispatcher: Dispatcher;
  /** By secret, filled on first use: an admin may add accounts after start-up. */
  readonly #cookies = new Map<string, string>();
  readonly #book: QuotaBook;

  constructor(private readonly options: ClientOptions) {
    this.origin = new URL(options.baseUrl).origin;
    this.#dispatcher = createUpstreamDispatcher({ baseUrl: options.baseUrl, proxyUrl: options.proxyUrl, connections: 16 });
    this.#book = new QuotaBook((secret, key) => this.#readQuota(secret, key));
  }

  cookieFor(secret: string): string {
    let cookie = this.#cookies.get(secret);
    if (cookie === undefined) this.#cookies.set(secret, (cookie = cookieOf(secret, this.options.cfClearance)));
    return cookie;
  }

  headers(secret: string | undefined): Record<string, string> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: '*/*',
      origin: this.origin,
      referer: `${this.origin}/`,
      'user-agent': this.options.userAgent,
      'x-xai-request-id': randomUUID(),
      'x-statsig-id': this.options.statsig === 'random' ? randomStatsig() : this.options.statsig,
    };
    const cookie = secret && this.cookieFor(secret);
    if (cookie) h.cookie = cookie;
    return h;
  }

  /** `POST path` with the call's account and signal; the 2xx response (else an UpstreamError). */
  post(path: string, body: string, call: CallContext): Promise<Dispatcher.ResponseData> {
    return requestUpstream(this.#dispatcher, { origin: this.origin, path, method: 'POST', headers: this.headers(call.credential?.secret), body, signal: call.signal });
  }

  /** Upload a file with the call's account; its id goes into the message's attachments. */
  async upload(call: CallContext, fileName: string, mimeType: string, bytes: Buffer): Promise<string> {
    const res = await this.post('/rest/app-chat/upload-file', JSON.stringify({ fileName, fileMimeType: mimeType, content: bytes.toString('base64') }), call);
    const up = (await res.body.json()) as { fileMetadataId?: string; fileId?: string };
    const id = up.fileMetadataId ?? up.fileId;
    if (!id) throw UpstreamError.malformed('Grok accepted an upload without giving its id');
    return id;
  }

  /** A success: one call's cost off the account's known window, told to the pool. */
  spent(call: CallContext, key: string, cost: number): void {
    const q = call.credential && this.#book.spend(call.credential.secret, key, cost);
    if (q) call.reportQuota(observation(q));
  }

  /**
   * After a rate limit: the window re-read (at most every five minutes per account), told to the
   * pool and put on the error (`quota`), where the classifier tells a burst from a spent quota.
   */
  async noteLimit(err: unknown, call: CallContext, key: string): Promise<void> {
    if (!(err instanceof UpstreamError) || !call.credential) return;
    if (!(err instanceof GrokInBandError ? isRateLimit(err) : err.status === 429)) return;
    const q = await this.#book.refreshAfterLimit(call.credential.secret, key, Date.now());
    if (!q) return;
    call.reportQuota(observation(q));
    err.quota = limitObservation(q);
  }

  /** The refresh-all job: one account's window, read now (a failed read throws). */
  async fetchQuota(credential: Credential, key: string): Promise<QuotaObservation> {
    return observation(await this.#book.refresh(credential.secret, key));
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }

  /** `POST /rest/rate-limits` for one account and quota window (reference §7), within 10 s. */
  async #readQuota(secret: string, key: string): Promise<ModeQuota> {
    const signal = CallSignal.timeout(QUOTA_READ_TIMEOUT_MS, 'the quota read timed out');
    try {
      const res = await requestUpstream(this.#dispatcher, {
        origin: this.origin,
        path: '/rest/rate-limits',
        method: 'POST',
        headers: this.headers(secret),
        body: JSON.stringify({ requestKind: 'DEFAULT', modelName: key }),
        signal,
      });
      return parseQuota(await res.body.json(), Date.now());
    } finally {
      signal.clear();
    }
  }
}
