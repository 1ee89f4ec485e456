/**
 * The benchmark's "physical limit": the least work a correct Node gateway on node:http + undici
 * can do. It buffers the request body, forwards it unchanged through an undici Pool and pipes the
 * answer back as it arrives (SSE chunk by chunk, headers flushed at once). No JSON parsing, no
 * auth, no logging; but like any proxy that must not leak upstream calls, it aborts the upstream
 * request when the client goes away (the peer benchmark's reference passthrough does the same).
 *
 *   node dist/bench/passthrough.js --port N --upstream http://127.0.0.1:M   (after npm run build)
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, upstream: { type: 'string' } } });
if (!values.upstream) throw new Error('--upstream ORIGIN is required');

const pool = new Pool(values.upstream, { connections: 256, pipelining: 1, keepAliveTimeout: 30_000 });

// Hop-by-hop headers belong to one connection (undici rejects some of them outright);
// content-length is recomputed from the buffered body.
const HOP_REQUEST = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'content-length']);
const HOP_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding']);

function strip(headers: IncomingHttpHeaders, hop: Set<string>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined && !hop.has(name)) out[name] = value;
  }
  return out;
}

function forward(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const abort = new AbortController();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  pool
    .stream(
      { path: req.url ?? '/', method: req.method as 'POST', headers: strip(req.headers, HOP_REQUEST), body: body.length > 0 ? body : null, signal: abort.signal },
      ({ statusCode, headers }) => {
        res.writeHead(statusCode, strip(headers, HOP_RESPONSE));
        if (String(headers['content-type'] ?? '').startsWith('text/event-stream')) res.flushHeaders();
        return res; // undici writes each upstream chunk into the response and ends it
      },
    )
    .catch((err: Error) => {
      if (res.headersSent) {
        res.destroy(err);
      } else {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`passthrough: ${err.message}`);
      }
    });
}

const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (c: Buffer) => parts.push(c));
  req.on('end', () => forward(req, res, Buffer.concat(parts)));
});
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void pool.close().then(() => process.exit(0)));
  server.closeAllConnections();
});
