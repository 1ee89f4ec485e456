import { createUpstreamDispatcher, credentialHeaders, requestUpstream, type CallContext, type CallSignal, type Credential } from '../../core/index.js';
import { anthropicQuota } from './rate-limits.js';

export interface ClientOptions {
  baseUrl: string;
  anthropicVersion: string;
  /** `anthropic-beta` flags sent on every request. */
  betas?: readonly string[];
  headers?: Record<string, string>;
  proxyUrl?: string;
  connections?: number;
}

/**
 * The wire to Anthropic: one keep-alive pool, each key as its own `x-api-key` header set (built on
 * the key's first use), `anthropic-version` on every request, and the rate-limit headers of every
 * answer reported to the pool. It sends body text as given, so a caller holding a client's raw
 * `/v1/messages` body can post it untouched.
 */
export class AnthropicClient {
  readonly #origin: string;
  readonly #base: string;
  readonly #dispatcher;
  readonly #headers;

  constructor(o: ClientOptions) {
    const url = new URL(o.baseUrl);
    this.#origin = url.origin;
    this.#base = url.pathname.replace(/\/+$/, '');
    this.#dispatcher = createUpstreamDispatcher({ baseUrl: o.baseUrl, proxyUrl: o.proxyUrl, connections: o.connections });
    const shared: Record<string, string> = { 'content-type': 'application/json', 'anthropic-version': o.anthropicVersion, ...o.headers };
    if (o.betas?.length) shared['anthropic-beta'] = o.betas.join(',');
    this.#headers = credentialHeaders(shared, (c: Credential) => ({ 'x-api-key': c.secret }));
  }

  /**
   * `POST <base><path>` with `body` as is; a non-2xx answer throws `UpstreamError`. `beta` adds a
   * client's own `anthropic-beta` flags to the configured ones (a passed-through request needs the
   * features it asked for).
   */
  async post(path: string, body: string, call: CallContext, beta?: string) {
    let headers = this.#headers(call.credential);
    if (beta) headers = { ...headers, 'anthropic-beta': headers['anthropic-beta'] ? `${headers['anthropic-beta']},${beta}` : beta };
    const res = await requestUpstream(this.#dispatcher, { origin: this.#origin, path: this.#base + path, method: 'POST', headers, body, signal: call.signal });
    const quota = anthropicQuota(res.headers, Date.now());
    if (quota) call.reportQuota(quota);
    return res;
  }

  /** `GET <base><path>` outside a request (model discovery), with the given key. */
  get(path: string, credential: Credential | undefined, signal: CallSignal) {
    return requestUpstream(this.#dispatcher, { origin: this.#origin, path: this.#base + path, method: 'GET', headers: this.#headers(credential), signal });
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}
