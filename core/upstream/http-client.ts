import type { Dispatcher } from 'undici';
import { Pool, ProxyAgent } from './undici-dispatchers.js';
import type { CallSignal } from '../contract/call-signal.js';
import { DirectBody, type DirectResponse } from './direct-response.js';
import { UpstreamError } from './upstream-error.js';

export interface UpstreamClientOptions {
  /** Upstream base URL; its origin gets one keep-alive pool. */
  baseUrl: string;
  /** Send through this HTTP(S) proxy instead (undici ProxyAgent). */
  proxyUrl?: string;
  /** Sockets kept per origin. */
  connections?: number;
  keepAliveTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * One keep-alive connection pool per upstream origin (or a ProxyAgent). Switchboard enforces its
 * own first-byte/idle/total timeouts through the call signal, so undici's are only a backstop.
 */
export function createUpstreamDispatcher(opts: UpstreamClientOptions): Dispatcher {
  const common = {
    connections: opts.connections ?? 64,
    pipelining: 1,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: opts.connectTimeoutMs ?? 10_000 },
  };
  if (opts.proxyUrl) return new ProxyAgent({ uri: opts.proxyUrl, ...common });
  return new Pool(new URL(opts.baseUrl).origin, common);
}

export interface UpstreamRequest {
  origin: string;
  path: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Text, or bytes (a multipart upload). */
  body?: string | Buffer;
  signal: CallSignal;
}

/**
 * Send a request and return the 2xx response; any other status becomes an {@link UpstreamError}
 * carrying the status, headers and (bounded) body for `classify`.
 */
export async function requestUpstream(dispatcher: Dispatcher, req: UpstreamRequest): Promise<Dispatcher.ResponseData> {
  const res = await dispatcher.request({
    origin: req.origin,
    path: req.path,
    method: req.method,
    headers: req.headers,
    body: req.body,
    // CallSignal implements the EventTarget half of AbortSignal that undici uses.
    signal: req.signal as unknown as AbortSignal,
  });
  if (res.statusCode >= 200 && res.statusCode < 300) return res;
  throw await UpstreamError.fromResponse(res);
}

/**
 * {@link requestUpstream} for the core's own hot path: the same request, signal and errors, but
 * the body comes straight from undici's dispatch callbacks (a {@link DirectBody}) instead of a
 * Readable stream: no stream object, listeners or per-chunk stream hops on every request.
 */
export function requestDirect(dispatcher: Dispatcher, req: UpstreamRequest): Promise<DirectResponse> {
  const { signal } = req;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<DirectResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let body: DirectBody | undefined;
    const onAbort = () => controller?.abort(signal.reason as Error);
    signal.addEventListener('abort', onAbort);
    const settle = () => signal.removeEventListener('abort', onAbort);
    dispatcher.dispatch(
      { origin: req.origin, path: req.path, method: req.method, headers: req.headers, body: req.body },
      {
        onRequestStart(c) {
          controller = c;
          if (signal.aborted) c.abort(signal.reason as Error);
        },
        onResponseStart(c, statusCode, headers) {
          body = new DirectBody(c);
          const res = { statusCode, headers: headers as DirectResponse['headers'], body };
          if (statusCode >= 200 && statusCode < 300) resolve(res);
          else void UpstreamError.fromResponse(res).then(reject);
        },
        onResponseData(_c, chunk) {
          body?.push(chunk);
        },
        onResponseEnd() {
          settle();
          body?.end();
        },
        onResponseError(_c, err) {
          settle();
          if (body) body.fail(err);
          else reject(err);
        },
      },
    );
  });
}
