/**
 * The benchmark's own client requests: the fixed request body, the pre-flight validation, and the
 * concurrency-1 latency probe. All through one keep-alive undici Client per target.
 */
import { performance } from 'node:perf_hooks';
import { Client } from 'undici';
import { BENCH_API_KEY } from './config.js';

export type Mode = 'nonstream' | 'stream';

export const CHAT_PATH = '/v1/chat/completions';
export const HEADERS = { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' };

/** The chat request the bench sends (a system and a user message, a token cap), `stream` aside. */
export const CHAT_BODY = {
  model: 'mock-model',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello in a short sentence, please.' },
  ],
  max_tokens: 64,
  temperature: 0,
};

export function requestBody(mode: Mode): string {
  return JSON.stringify(mode === 'stream' ? { ...CHAT_BODY, stream: true } : CHAT_BODY);
}

/** What the mock answers with `chunks` content chunks: "MOCK-UPSTREAM tok1 … tok<chunks-1>". */
export function expectedText(chunks: number): string {
  return ['MOCK-UPSTREAM', ...Array.from({ length: chunks - 1 }, (_, i) => ` tok${i + 1}`)].join('');
}

/** Times one request: headers, first body byte, end of body (ms since the request was sent). */
async function timed(client: Client, body: string): Promise<{ status: number; type: string; text: string; firstByteMs: number; totalMs: number }> {
  const t0 = performance.now();
  const res = await client.request({ path: CHAT_PATH, method: 'POST', headers: HEADERS, body });
  let firstByteMs = -1;
  const parts: Buffer[] = [];
  for await (const chunk of res.body) {
    if (firstByteMs < 0) firstByteMs = performance.now() - t0;
    parts.push(chunk as Buffer);
  }
  const totalMs = performance.now() - t0;
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), text: Buffer.concat(parts).toString('utf8'), firstByteMs, totalMs };
}

/** Joins the delta contents of an SSE chat stream; insists on the closing [DONE]. */
function reassemble(sse: string): string {
  let text = '';
  let done = false;
  for (const line of sse.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const data = line.slice(5).trim();
    if (data === '[DONE]') {
      done = true;
      continue;
    }
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: string | null } }[] };
    text += chunk.choices?.[0]?.delta?.content ?? '';
  }
  if (!done) throw new Error('stream ended without data: [DONE]');
  return text;
}

/** One non-stream and one stream request must both come back with the mock's exact text. */
export async function validate(name: string, origin: string, chunks: number): Promise<void> {
  const want = expectedText(chunks);
  const client = new Client(origin);
  try {
    for (const mode of ['nonstream', 'stream'] as const) {
      const r = await timed(client, requestBody(mode));
      if (r.status !== 200) throw new Error(`${name} ${mode}: HTTP ${r.status}: ${r.text.slice(0, 500)}`);
      let got: string;
      if (mode === 'stream') {
        if (!r.type.includes('text/event-stream')) throw new Error(`${name} stream: content-type ${r.type}, not text/event-stream`);
        got = reassemble(r.text);
      } else {
        got = (JSON.parse(r.text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? '';
      }
      if (got !== want) throw new Error(`${name} ${mode}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
    }
  } finally {
    await client.close();
  }
}

/**
 * Concurrency-1 latency of several origins: sequential requests, one connection each. Per origin
 * it returns the p50 of the full response time (nonstream) or of the time to first body byte
 * (stream). A discarded lead-in warms connections and the JIT on both sides.
 *
 * `interleaved` (the default): round-robin across origins, so each sees the same machine state
 * (no drift between targets). `blocks`: each origin's requests back to back, as the peer benchmark does
 * measures; on this machine it measured no lower for Switchboard (stream TTFB +0.39 ms vs +0.34).
 */
export async function probeP50s(origins: string[], mode: Mode, requests: number, order: 'blocks' | 'interleaved' = 'interleaved'): Promise<number[]> {
  const body = requestBody(mode);
  const clients = origins.map((o) => new Client(o, { pipelining: 1 }));
  const one = async (j: number, keep: number[] | undefined) => {
    const r = await timed(clients[j], body);
    if (r.status !== 200) throw new Error(`probe ${origins[j]} ${mode}: HTTP ${r.status}: ${r.text.slice(0, 300)}`);
    keep?.push(mode === 'stream' ? r.firstByteMs : r.totalMs);
  };
  try {
    const lead = Math.max(100, Math.ceil(requests / 4));
    const samples = origins.map((): number[] => []);
    if (order === 'blocks') {
      for (let j = 0; j < clients.length; j++) for (let i = 0; i < lead + requests; i++) await one(j, i >= lead ? samples[j] : undefined);
    } else {
      for (let i = 0; i < lead + requests; i++) {
        for (let k = 0; k < clients.length; k++) {
          const j = (i + k) % clients.length; // rotate who goes first
          await one(j, i >= lead ? samples[j] : undefined);
        }
      }
    }
    return samples.map(median);
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
