/**
 * The kit's HTTP client: plain node:http on a fresh socket per request, so "the client left" is a
 * socket really destroyed, as a browser tab closing would do it, not an SDK's abstraction of it.
 */
import http from 'node:http';
import { SseParser } from '../upstream/sse-parser.js';
import { CLIENT_KEY } from './switchboard.js';

export interface JsonAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: any;
}

export interface StreamAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The `data:` events, parsed, `[DONE]` and error events excluded. */
  chunks: any[];
  /** The stream ended with `data: [DONE]`. */
  done: boolean;
  /** The `{"error":...}` event that ended it, if one did. */
  error?: any;
  /** Everything the client received. */
  text: string;
  /** Set when the client left on purpose: when it destroyed its socket. */
  leftAt?: number;
}

function open(origin: string, body: unknown): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const data = JSON.stringify(body);
  const req = http.request(`${origin}/v1/chat/completions`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${CLIENT_KEY}` },
  });
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on('response', resolve);
    req.on('error', reject);
  });
  req.end(data);
  return { req, response };
}

/** POST a non-stream chat request; resolves with the whole answer. */
export async function postChat(origin: string, body: Record<string, unknown>): Promise<JsonAnswer> {
  const { response } = open(origin, { ...body, stream: false });
  const res = await response;
  let text = '';
  for await (const b of res) text += (b as Buffer).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode ?? 0, headers: res.headers, text, json };
}

/** POST a stream request and read its events; with `leaveAfter`, destroy the socket after that many chunks. */
export async function streamChat(origin: string, body: Record<string, unknown>, opts: { leaveAfter?: number } = {}): Promise<StreamAnswer> {
  const { req, response } = open(origin, { ...body, stream: true });
  const res = await response;
  const out: StreamAnswer = { status: res.statusCode ?? 0, headers: res.headers, chunks: [], done: false, text: '' };
  const parser = new SseParser();
  try {
    for await (const b of res) {
      const text = (b as Buffer).toString('utf8');
      out.text += text;
      take(parser.feed(text), out);
      if (opts.leaveAfter !== undefined && out.chunks.length >= opts.leaveAfter) {
        out.leftAt = Date.now();
        req.destroy();
        res.destroy();
        break;
      }
    }
    take(parser.end(), out);
  } catch (err) {
    // A connection the server dropped: what arrived is the answer.
    if (out.leftAt === undefined) out.error ??= { error: { message: `connection failed: ${(err as Error).message}` } };
  }
  return out;
}

function take(events: { data: string }[], out: StreamAnswer): void {
  for (const ev of events) {
    if (ev.data === '[DONE]') out.done = true;
    else {
      const value = JSON.parse(ev.data);
      if (value && typeof value === 'object' && 'error' in value) out.error = value;
      else out.chunks.push(value);
    }
  }
}
