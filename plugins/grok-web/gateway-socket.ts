import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket, { type ClientOptions } from 'ws';
import { UpstreamError, type CallSignal } from '../../core/index.js';

/** grok.com's own limit on a frame; a bigger one is not Grok. */
export const MAX_FRAME_BYTES = 16 * 1024 * 1024;
const HANDSHAKE_TIMEOUT_MS = 20_000;
/** A refused handshake's body is read up to this much (a Cloudflare page, an error object). */
const REFUSAL_BODY_BYTES = 64 * 1024;

export interface GatewaySocketOptions {
  /** `wss://host/ws/mgw/?uid=...` */
  url: string;
  headers: Record<string, string>;
  /** The call's signal: its abort (client gone, a timeout) ends the socket at once. */
  signal: CallSignal;
  /** An HTTP(S) proxy to tunnel through (CONNECT), as the HTTP requests use. */
  proxyUrl?: string;
  /** The application-level ping interval (grok.com expects one every 25 s). */
  heartbeatMs: number;
}

/** A transport failure the core reads as "the upstream was lost" (transient, retried elsewhere). */
function lost(message: string, code = 'ECONNRESET'): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * One WebSocket to the gateway, read as a queue of JSON frames. A refused handshake becomes an
 * UpstreamError with the status, headers and body, so the plugin's classifier treats it like the
 * HTTP dialect's answers (401 dead account, Cloudflare page, 429). Binary and non-JSON frames are
 * skipped. The socket ends on `close()`, on the call's abort (the reason is thrown), and on any
 * transport error.
 */
export class GatewaySocket {
  readonly #ws: WebSocket;
  readonly #frames: unknown[] = [];
  #waiter: { resolve: (v: unknown) => void; reject: (e: unknown) => void } | undefined;
  #failure: unknown;
  #heartbeat: NodeJS.Timeout | undefined;
  readonly #onAbort: () => void;

  private constructor(ws: WebSocket, private readonly signal: CallSignal) {
    this.#ws = ws;
    this.#onAbort = () => this.#fail(signal.reason);
    signal.addEventListener('abort', this.#onAbort);
  }

  /** Connect; resolves once the gateway accepted the upgrade. */
  static open(opts: GatewaySocketOptions): Promise<GatewaySocket> {
    opts.signal.throwIfAborted();
    const options: ClientOptions = {
      headers: opts.headers,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      maxPayload: MAX_FRAME_BYTES,
      perMessageDeflate: false,
      followRedirects: false,
    };
    if (opts.proxyUrl) (options as { createConnection?: unknown }).createConnection = tunnel(opts.proxyUrl, opts.url.startsWith('wss:'));
    const ws = new WebSocket(opts.url, options);
    const socket = new GatewaySocket(ws, opts.signal);
    return new Promise<GatewaySocket>((resolve, reject) => {
      let settled = false;
      const settle = (err?: unknown) => {
        if (settled) return;
        settled = true;
        if (err === undefined) return resolve(socket);
        socket.close();
        reject(err);
      };
      ws.once('open', () => {
        socket.#start(opts.heartbeatMs);
        settle();
      });
      ws.once('unexpected-response', (_req, res) => {
        void refusal(res).then(settle, settle);
      });
      ws.on('error', (err) => {
        if (!settled) settle(opts.signal.aborted ? opts.signal.reason : toTransportError(err));
        else socket.#fail(toTransportError(err));
      });
      ws.once('close', () => {
        if (!settled) settle(opts.signal.aborted ? opts.signal.reason : lost('the Grok gateway closed the connection during the handshake'));
      });
      if (opts.signal.aborted) settle(opts.signal.reason);
      opts.signal.addEventListener('abort', () => settle(opts.signal.reason));
    });
  }

  send(event: unknown): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(JSON.stringify(event));
  }

  /** The next JSON frame; throws the failure that ended the socket. */
  next(): Promise<unknown> {
    if (this.#frames.length) return Promise.resolve(this.#frames.shift());
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Close the socket (a normal close frame, or at once when it is not open). */
  close(): void {
    this.#stop();
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.close(1000);
    else this.#ws.terminate();
  }

  #start(heartbeatMs: number): void {
    this.#ws.on('message', (data, isBinary) => {
      if (isBinary) return;
      let frame: unknown;
      try {
        frame = JSON.parse(String(data));
      } catch {
        return; // grok.com's own clients skip what is not JSON
      }
      if (this.#waiter) {
        const w = this.#waiter;
        this.#waiter = undefined;
        w.resolve(frame);
      } else this.#frames.push(frame);
    });
    this.#ws.on('close', () => this.#fail(lost('the Grok gateway closed the WebSocket before the answer ended')));
    // An application-level ping, not a WebSocket one: what grok.com's web app sends.
    this.#heartbeat = setInterval(() => this.send({ event: { type: 'ping', event_id: `evt_hb_${Date.now()}` } }), heartbeatMs);
    this.#heartbeat.unref();
  }

  #fail(err: unknown): void {
    if (this.#failure === undefined) this.#failure = err;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.reject(this.#failure);
    if (this.#ws.readyState !== WebSocket.CLOSED) {
      this.#stop();
      this.#ws.terminate();
    }
  }

  #stop(): void {
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    this.signal.removeEventListener('abort', this.#onAbort);
  }
}

/** A refused upgrade as the HTTP answer it was: status, headers and (a bounded part of) the body. */
async function refusal(res: http.IncomingMessage): Promise<never> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (size < REFUSAL_BODY_BYTES) parts.push(chunk.subarray(0, REFUSAL_BODY_BYTES - size));
      size += chunk.length;
      if (size >= REFUSAL_BODY_BYTES) break;
    }
  } catch {
    // what arrived still says something
  }
  res.destroy();
  throw new UpstreamError(`the Grok gateway refused the WebSocket with HTTP ${res.statusCode}`, {
    status: res.statusCode,
    headers: res.headers,
    body: Buffer.concat(parts).toString('utf8'),
  });
}

function toTransportError(err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  // A socket's own errno error (ECONNRESET, ...) is already what the core reads as a lost upstream.
  if (code && !code.startsWith('WS_ERR_') && err.constructor === Error) return err;
  // ws reports what the gateway did wrong (a frame over the cap, a bad opcode) as RangeErrors:
  // rewrapped, so they count as the upstream's failure, not as a bug of ours.
  return lost(`the Grok gateway broke the WebSocket protocol: ${err.message}`, code ?? 'WS_ERR_PROTOCOL');
}

type Connect = (options: tls.ConnectionOptions & { host?: string; port?: number | string; servername?: string }, done: (err: Error | null, socket?: Duplex) => void) => undefined;

/**
 * ws's `createConnection` through an HTTP CONNECT tunnel: the proxy opens a TCP stream to the
 * gateway's host, and TLS (for wss) runs inside it, so the proxy sees only the host name.
 */
function tunnel(proxyUrl: string, secure: boolean): Connect {
  const proxy = new URL(proxyUrl);
  return (options, done) => {
    const host = String(options.host ?? '').replace(/^\[|\]$/g, '');
    const port = Number(options.port) || (secure ? 443 : 80);
    const auth = proxy.username ? { 'proxy-authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` } : {};
    const req = (proxy.protocol === 'https:' ? https.request : http.request)({
      host: proxy.hostname,
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: `${host.includes(':') ? `[${host}]` : host}:${port}`,
      headers: { host: `${host}:${port}`, ...auth },
      timeout: HANDSHAKE_TIMEOUT_MS,
    });
    req.once('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        return done(new UpstreamError(`the proxy refused to tunnel to the Grok gateway (HTTP ${res.statusCode})`, { status: 502 }));
      }
      if (!secure) return done(null, socket);
      const wrapped = tls.connect({ ...options, socket, servername: options.servername || (isIP(host) ? undefined : host) });
      wrapped.once('secureConnect', () => done(null, wrapped));
      wrapped.once('error', (err) => done(err));
    });
    req.once('error', (err) => done(err));
    req.once('timeout', () => req.destroy(lost('the proxy did not answer the tunnel request in time', 'ETIMEDOUT')));
    req.end();
    return undefined;
  };
}
