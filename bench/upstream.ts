/**
 * Fast OpenAI-compatible mock upstream for the benchmark. Every answer is prebuilt at start-up so
 * the mock costs as little CPU as possible and the gateway under test dominates the profile.
 *
 *   node dist/bench/upstream.js --port N [--chunks 20]   (after npm run build)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '0' }, chunks: { type: 'string', default: '20' } } });
const chunks = Number(values.chunks);
if (!Number.isInteger(chunks) || chunks < 1) throw new Error(`--chunks must be a positive integer, got ${values.chunks}`);

const MODEL = 'mock-model';
const CREATED = 1_700_000_000;
const PROMPT_TOKENS = 20;
const pieces = Array.from({ length: chunks }, (_, i) => (i === 0 ? 'MOCK-UPSTREAM' : ` tok${i}`));
const usage = { prompt_tokens: PROMPT_TOKENS, completion_tokens: chunks, total_tokens: PROMPT_TOKENS + chunks };

const completionBody = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-mock',
    object: 'chat.completion',
    created: CREATED,
    model: MODEL,
    choices: [{ index: 0, message: { role: 'assistant', content: pieces.join('') }, finish_reason: 'stop' }],
    usage,
  }),
);

const event = (choices: unknown[], extra: object = {}) =>
  `data: ${JSON.stringify({ id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: CREATED, model: MODEL, choices, ...extra })}\n\n`;
const streamEvents = [
  event([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
  ...pieces.map((content) => event([{ index: 0, delta: { content }, finish_reason: null }])),
  event([{ index: 0, delta: {}, finish_reason: 'stop' }]),
];
const usageEvent = event([], { usage });
const DONE = 'data: [DONE]\n\n';

const modelsBody = Buffer.from(JSON.stringify({ object: 'list', data: [{ id: MODEL, object: 'model', created: CREATED, owned_by: 'mock' }] }));
const notFoundBody = Buffer.from(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));

// Requests are only sniffed, not parsed: the gateway re-serializes with JSON.stringify (no spaces),
// and the benchmark client sends compact JSON too.
const STREAM_RE = /"stream"\s*:\s*true/;
const USAGE_RE = /"include_usage"\s*:\s*true/;

function chat(body: string, res: ServerResponse): void {
  if (!STREAM_RE.test(body)) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': completionBody.length });
    res.end(completionBody);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // One write per SSE event, as a real upstream flushes token by token.
  for (const e of streamEvents) res.write(e);
  if (USAGE_RE.test(body)) res.write(usageEvent);
  res.end(DONE);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST' && req.url === '/v1/chat/completions') {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => chat(Buffer.concat(parts).toString('latin1'), res));
    return;
  }
  req.resume();
  if (req.method === 'GET' && req.url === '/v1/models') {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': modelsBody.length });
    res.end(modelsBody);
  } else if (req.method === 'GET' && req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 });
    res.end('ok');
  } else {
    res.writeHead(404, { 'content-type': 'application/json', 'content-length': notFoundBody.length });
    res.end(notFoundBody);
  }
}

const server = createServer(handle);
// Longer than any pause between benchmark phases, so pooled client sockets are never reset mid-run.
server.keepAliveTimeout = 60_000;
server.listen(Number(values.port), '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections());
