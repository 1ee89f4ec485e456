import { randomBytes, randomUUID } from 'node:crypto';
import type { Dispatcher } from 'undici';
import {
  CallSignal,
  GatewayError,
  UpstreamError,
  createUpstreamDispatcher,
  requestUpstream,
  type CallContext,
  type Credential,
  type Logger,
  type QuotaObservation,
} from '../../core/index.js';
import { isRateLimit } from './classify.js';
import { GatewaySocket } from './gateway-socket.js';
import { UserIds, sessionUserId } from './user-id.js';
import { QuotaBook, inferTier, limitObservation, observation, parseQuota, type ModeQuota } from './quota.js';
import { STATIC_STATSIG, Statsig, type StatsigOption } from './statsig.js';
import { GrokInBandError } from './translate.js';

export interface ClientOptions {
  baseUrl: string;
  /** Where `x-statsig-id` comes from (statsig.ts); unset: none over the gateway, the static value over `http`. */
  statsig?: StatsigOption;
  cfClearance?: string;
  userAgent: string;
  /** Already resolved (the option or `GROK_PROXY`). */
  proxyUrl?: string;
  /** The chat socket's application-level ping interval, seconds (grok.com's web app: 25). */
  heartbeatSeconds: number;
  /** `websocket`: the web app's current routes (uploads v2); `http`: the REST dialect's. */
  chatTransport: 'websocket' | 'http';
}

/** The only cookies besides the account's own that go to the gateway: Cloudflare's clearance ones. */
const CLOUDFLARE_COOKIE = /^(cf_clearance|__cf_bm|_cfuvid|cf_chl_.*)$/;

/**
 * The gateway's Cookie: the account's `sso` (also as `sso-rw`), Cloudflare's cookies, and the user
 * id as the `x-userid` cookie (a cookie there, not a header). Anything else a pasted browser
 * cookie holds stays home.
 */
export function gatewayCookie(cookie: string, uid: string): string {
  const pairs = cookie.split(';').map((p) => p.trim()).filter(Boolean).map((p) => [p.slice(0, p.indexOf('=')).trim(), p.slice(p.indexOf('=') + 1).trim()] as const);
  const sso = pairs.find(([k]) => k === 'sso')?.[1];
  const rw = pairs.find(([k]) => k === 'sso-rw')?.[1] ?? sso;
  const out: string[] = [];
  if (sso) out.push(`sso=${sso}`);
  if (rw) out.push(`sso-rw=${rw}`);
  for (const [k, v] of pairs) if (CLOUDFLARE_COOKIE.test(k)) out.push(`${k}=${v}`);
  out.push(`x-userid=${uid}`);
  return out.join('; ');
}

export const DEFAULT_UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36';

/** grok.com's anti-bot answer (code 7), which a fresh statsig may cure. */
const ANTI_BOT = /"code"\s*:\s*7\b|anti-bot/i;

/** A quota read may delay a failed request's answer: it gets this long. */
const QUOTA_READ_TIMEOUT_MS = 10_000;


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
  readonly #userIds = new UserIds((secret) => this.#lookUpUserId(secret));
  readonly #statsig: Statsig;
  readonly #signer: Dispatcher | undefined;

  constructor(
    private readonly options: ClientOptions,
    log: Logger,
  ) {
    this.origin = new URL(options.baseUrl).origin;
    this.#dispatcher = createUpstreamDispatcher({ baseUrl: options.baseUrl, proxyUrl: options.proxyUrl, connections: 16 });
    this.#book = new QuotaBook((secret, key) => this.#readQuota(secret, key));
    const statsig = options.statsig ?? (options.chatTransport === 'http' ? STATIC_STATSIG : undefined);
    this.#signer = typeof statsig === 'object' ? createUpstreamDispatcher({ baseUrl: statsig.signerUrl, connections: 2 }) : undefined;
    this.#statsig = new Statsig(statsig, {
      dispatcher: this.#dispatcher,
      origin: this.origin,
      signer: this.#signer,
      log,
      pageHeaders: (secret) => ({ accept: 'text/html,application/xhtml+xml', 'user-agent': options.userAgent, ...(secret ? { cookie: this.cookieFor(secret) } : {}) }),
    });
  }

  /**
   * The chat WebSocket for one turn with this account: `/ws/mgw/?uid=<its user id>`, with only the
   * headers grok.com's web app sends (no statsig, no Authorization), through the proxy when one is
   * set. A refused handshake throws the UpstreamError its answer makes; after a 401 the user id is
   * looked up again next time.
   */
  async openGateway(secret: string, call: CallContext): Promise<GatewaySocket> {
    const cookie = this.cookieFor(secret);
    const uid = await this.#userIds.get(secret, cookie);
    const url = new URL(`/ws/mgw/?uid=${uid}`, this.origin);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    try {
      return await GatewaySocket.open({
        url: url.href,
        headers: {
          origin: this.origin,
          'user-agent': this.options.userAgent,
          'accept-language': 'en-US,en;q=0.9',
          'cache-control': 'no-cache',
          pragma: 'no-cache',
          cookie: gatewayCookie(cookie, uid),
        },
        signal: call.signal,
        proxyUrl: this.options.proxyUrl,
        heartbeatMs: this.options.heartbeatSeconds * 1000,
      });
    } catch (err) {
      if (err instanceof UpstreamError && err.status === 401) this.#userIds.forget(secret);
      throw err;
    }
  }

  cookieFor(secret: string): string {
    let cookie = this.#cookies.get(secret);
    if (cookie === undefined) this.#cookies.set(secret, (cookie = cookieOf(secret, this.options.cfClearance)));
    return cookie;
  }

  /** A REST call's headers for `POST path`: the account's cookie, and `x-statsig-id` when there is one. */
  async headers(secret: string | undefined, path: string): Promise<Record<string, string>> {
    const h: Record<string, string> = {
      'content-type': 'application/json',
      accept: '*/*',
      origin: this.origin,
      referer: `${this.origin}/`,
      'user-agent': this.options.userAgent,
      'x-xai-request-id': randomUUID(),
    };
    const statsig = await this.#statsig.value('POST', path, secret);
    if (statsig) h['x-statsig-id'] = statsig;
    const cookie = secret && this.cookieFor(secret);
    if (cookie) h.cookie = cookie;
    return h;
  }

  /** `POST path` with the call's account and signal; the 2xx response (else an UpstreamError). */
  async post(path: string, body: string, call: CallContext): Promise<Dispatcher.ResponseData> {
    return requestUpstream(this.#dispatcher, { origin: this.origin, path, method: 'POST', headers: await this.headers(call.credential?.secret, path), body, signal: call.signal });
  }

  /** grok.com rejected a signed statsig for `POST path` (code 7): the next call is signed anew. */
  statsigRejected(path: string): void {
    this.#statsig.reject('POST', path);
  }

  /**
   * Upload a file with the call's account; its id goes into the message's attachments. Over the
   * gateway, as the web app does: `POST /http/upload-file-v2/direct`, multipart, without statsig;
   * over `http`, the REST dialect's JSON upload.
   */
  async upload(call: CallContext, fileName: string, mimeType: string, bytes: Buffer): Promise<string> {
    if (this.options.chatTransport === 'websocket') return this.#uploadDirect(call, fileName, mimeType, bytes);
    const res = await this.post('/rest/app-chat/upload-file', JSON.stringify({ fileName, fileMimeType: mimeType, content: bytes.toString('base64') }), call);
    const up = (await res.body.json()) as { fileMetadataId?: string; fileId?: string };
    const id = up.fileMetadataId ?? up.fileId;
    if (!id) throw UpstreamError.malformed('Grok accepted an upload without giving its id');
    return id;
  }

  async #uploadDirect(call: CallContext, fileName: string, mimeType: string, bytes: Buffer): Promise<string> {
    const boundary = `----SwitchboardFormBoundary${randomBytes(12).toString('hex')}`;
    const safeName = fileName.replace(/["\r\n\\]/g, '_');
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${safeName}"\r\nContent-Type: ${mimeType}\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const headers: Record<string, string> = {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      accept: '*/*',
      origin: this.origin,
      referer: `${this.origin}/`,
      'user-agent': this.options.userAgent,
    };
    if (call.credential) headers.cookie = this.cookieFor(call.credential.secret);
    const res = await requestUpstream(this.#dispatcher, { origin: this.origin, path: '/http/upload-file-v2/direct', method: 'POST', headers, body, signal: call.signal });
    const up = (await res.body.json()) as { uploadId?: string; terminalError?: unknown; fileMetadata?: { fileMetadataId?: string; fileId?: string } | null };
    // A refused file is the request's, not the account's: Grok said so in a 200.
    if (up.terminalError) throw new GatewayError('SWB_ERR_INVALID_VALUE', `Grok refused the attached file ${JSON.stringify(fileName)}: ${String(up.terminalError).slice(0, 200)}`, { param: 'messages' });
    const id = up.fileMetadata?.fileMetadataId ?? up.fileMetadata?.fileId ?? up.uploadId;
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

  /** An account's tier as its windows' totals tell it, once one was read (for accounts configured without one). */
  inferredTier(secret: string): 'basic' | 'super' | 'heavy' | undefined {
    return inferTier(this.#book.windows(secret));
  }

  /** The refresh-all job: one account's window, read now (a failed read throws). */
  async fetchQuota(credential: Credential, key: string): Promise<QuotaObservation> {
    return observation(await this.#book.refresh(credential.secret, key));
  }

  async close(): Promise<void> {
    await this.#dispatcher.close();
    await this.#signer?.close();
  }

  /** `GET /api/auth/session`: the account's user id, within 10 s (a dead session throws a 401). */
  async #lookUpUserId(secret: string): Promise<string> {
    const signal = CallSignal.timeout(QUOTA_READ_TIMEOUT_MS, 'the session lookup timed out');
    try {
      const cookie = this.cookieFor(secret).replace(/(?:^|;\s*)x-userid=[^;]*/g, '');
      const res = await requestUpstream(this.#dispatcher, {
        origin: this.origin,
        path: '/api/auth/session',
        method: 'GET',
        headers: { accept: 'application/json', referer: `${this.origin}/`, 'user-agent': this.options.userAgent, cookie },
        signal,
      });
      return sessionUserId(await res.body.json());
    } finally {
      signal.clear();
    }
  }

  /**
   * `POST /rest/rate-limits` for one account and quota window, within 10 s. A signed statsig that
   * grok.com rejects (code 7) is signed anew and the read tried once more.
   */
  async #readQuota(secret: string, key: string, again = true): Promise<ModeQuota> {
    const signal = CallSignal.timeout(QUOTA_READ_TIMEOUT_MS, 'the quota read timed out');
    try {
      const res = await requestUpstream(this.#dispatcher, {
        origin: this.origin,
        path: '/rest/rate-limits',
        method: 'POST',
        headers: await this.headers(secret, '/rest/rate-limits'),
        // The web app asks by mode alone today; the REST dialect's clients also sent requestKind.
        body: JSON.stringify(this.options.chatTransport === 'websocket' ? { modelName: key } : { requestKind: 'DEFAULT', modelName: key }),
        signal,
      });
      return parseQuota(await res.body.json(), Date.now());
    } catch (err) {
      if (!again || !this.#statsig.renewable || !(err instanceof UpstreamError) || !ANTI_BOT.test(err.body ?? '')) throw err;
      this.statsigRejected('/rest/rate-limits');
      return this.#readQuota(secret, key, false);
    } finally {
      signal.clear();
    }
  }
}
