/**
 * `npm run bench -- --soak <seconds>`: one Switchboard on the default bench config in front of the
 * bench mock, under mixed, moderate traffic (not max throughput) for that long, its memory and file
 * descriptors read every BENCH_SOAK_INTERVAL seconds. What it is for: a leak shows as a slope.
 */
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { waitReady, type Child } from './children.js';
import { CHAT_PATH, HEADERS, validate } from './client.js';
import { DOORS } from './front-doors.js';
import { intKnob } from './args.js';
import { log, resultsDir, startSwitchboard, startUpstream } from './servers.js';
import { analyze, renderSamples, renderSoakText, type SoakSample, type SoakSummary } from './soak-report.js';

interface Kind {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** The status it must get. */
  status: number;
  /** A string the whole body must contain (the end of a stream), if any. */
  ends?: string;
  /** Abort after the first body chunk: a client that goes away mid-stream. */
  abort?: boolean;
}

const chat = (extra: object) =>
  JSON.stringify({ model: 'mock-model', messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'Say hello in a short sentence, please.' }], max_tokens: 64, temperature: 0, ...extra });

const KINDS: Record<string, Kind> = {
  chat: { path: CHAT_PATH, headers: HEADERS, body: chat({}), status: 200, ends: 'MOCK-UPSTREAM' },
  'chat stream': { path: CHAT_PATH, headers: HEADERS, body: chat({ stream: true }), status: 200, ends: 'data: [DONE]' },
  'messages stream': { ...DOORS.messages, status: 200, ends: 'message_stop' },
  'responses stream': { ...DOORS.responses, status: 200, ends: 'response.completed' },
  'unknown model': { path: CHAT_PATH, headers: HEADERS, body: chat({ model: 'no-such-model' }), status: 404 },
  'bad key': { path: CHAT_PATH, headers: { ...HEADERS, authorization: 'Bearer sk-not-a-bench-key' }, body: chat({}), status: 401 },
  'client abort': { path: CHAT_PATH, headers: HEADERS, body: chat({ stream: true }), status: 200, abort: true },
};

/** Share of each kind, in percent. */
export const MIX: Record<keyof typeof KINDS, number> = {
  chat: 35,
  'chat stream': 30,
  'messages stream': 12,
  'responses stream': 12,
  'unknown model': 4,
  'bad key': 4,
  'client abort': 3,
};

function pickKind(): string {
  let r = Math.random() * 100;
  for (const [k, w] of Object.entries(MIX)) if ((r -= w) < 0) return k;
  return 'chat';
}

/** One request of a kind; true when it ended as that kind should. */
async function once(pool: Pool, k: Kind): Promise<boolean> {
  const ac = new AbortController();
  try {
    const res = await pool.request({ path: k.path, method: 'POST', headers: k.headers, body: k.body, signal: ac.signal });
    if (k.abort) {
      if (res.statusCode !== k.status) return false;
      for await (const _ of res.body) {
        ac.abort();
        break;
      }
      return true;
    }
    const text = await res.body.text();
    return res.statusCode === k.status && (k.ends === undefined || text.includes(k.ends));
  } catch (err) {
    return k.abort === true && ac.signal.aborted && (err as Error).name === 'AbortError';
  }
}

function procKb(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`no ${key} for pid ${pid}`);
  return Number(m[1]);
}

/** Heap used from the metrics plugin's `/metrics` (prom-client's default metrics); null without it. */
async function heapMb(origin: string): Promise<number | null> {
  try {
    const res = await request(`${origin}/metrics`, { headersTimeout: 5_000, bodyTimeout: 5_000 });
    const text = await res.body.text();
    const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
    return res.statusCode === 200 && m ? Number(m[1]) / 2 ** 20 : null;
  } catch {
    return null;
  }
}

export async function runSoak(durationS: number, tmp: string): Promise<void> {
  const intervalS = intKnob('BENCH_SOAK_INTERVAL', 10, 1);
  const concurrency = intKnob('BENCH_SOAK_CONCURRENCY', 16, 1);
  const thinkMs = intKnob('BENCH_SOAK_THINK_MS', 5, 0);
  const chunks = intKnob('BENCH_CHUNKS', 20, 2);
  const env = process.env;

  const upstream = await startUpstream(env.BENCH_UPSTREAM_PORT, chunks, tmp);
  await waitReady(upstream, '/health');
  const sb: Child = await startSwitchboard('switchboard', env.BENCH_SWITCHBOARD_PORT, upstream.port, tmp);
  await waitReady(sb, '/readyz');
  await validate(sb.name, sb.origin, chunks);
  log(`soak: ${durationS} s, ${concurrency} clients, ${thinkMs} ms pause, samples every ${intervalS} s; switchboard ${sb.origin} (pid ${sb.pid}), upstream ${upstream.origin}`);

  const kinds: SoakSummary['kinds'] = Object.fromEntries(Object.keys(KINDS).map((k) => [k, { count: 0, fails: 0 }]));
  let done = 0;
  let failed = 0;
  const read = (t: number, last: { done: number; failed: number; t: number }, heap: number | null): SoakSample => {
    const dt = t - last.t;
    return {
      t,
      rssMb: procKb(sb.pid, 'VmRSS') / 1024,
      peakMb: procKb(sb.pid, 'VmHWM') / 1024,
      heapMb: heap,
      fds: readdirSync(`/proc/${sb.pid}/fd`).length,
      requests: done - last.done,
      rps: dt > 0 ? (done - last.done) / dt : 0,
      fails: failed - last.failed,
    };
  };
  const samples: SoakSample[] = [read(0, { done: 0, failed: 0, t: 0 }, await heapMb(sb.origin))];
  log(`  ${renderSamples(samples)[0]}`);
  log(`  ${renderSamples(samples).at(-1)}`);

  const pool = new Pool(sb.origin, { connections: concurrency, pipelining: 1 });
  const t0 = performance.now();
  const endAt = t0 + durationS * 1000;
  let stop = false;
  const worker = async () => {
    while (!stop) {
      const name = pickKind();
      const ok = await once(pool, KINDS[name]);
      kinds[name].count++;
      done++;
      if (!ok) {
        kinds[name].fails++;
        failed++;
      }
      if (thinkMs > 0) await new Promise((r) => setTimeout(r, thinkMs));
    }
  };
  const workers = Array.from({ length: concurrency }, worker);

  let last = { done: 0, failed: 0, t: 0 };
  for (let k = 1; k * intervalS <= durationS; k++) {
    const due = t0 + k * intervalS * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
    if (sb.proc.exitCode !== null || sb.proc.signalCode !== null) throw new Error(`switchboard exited during the soak (${sb.proc.exitCode ?? sb.proc.signalCode})`);
    const heap = await heapMb(sb.origin);
    const t = (performance.now() - t0) / 1000;
    const s = read(t, last, heap);
    samples.push(s);
    last = { done, failed, t };
    log(`  ${renderSamples(samples).at(-1)}`);
  }
  await new Promise((r) => setTimeout(r, Math.max(0, endAt - performance.now())));
  stop = true;
  await Promise.all(workers);
  await pool.close();

  const summary: SoakSummary = {
    settings: { durationS, intervalS, concurrency, thinkMs, chunks, mix: MIX },
    environment: { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', date: new Date().toISOString() },
    kinds,
    samples,
    analysis: analyze(samples, durationS),
  };
  const text = renderSoakText(summary);
  process.stdout.write(`\n${text}`);
  const dir = resultsDir(summary.environment.date);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'soak.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(dir, 'soak.txt'), text);
  log(`results written to ${dir}`);
}
