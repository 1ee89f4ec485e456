/**
 * What one chat request costs Switchboard, counted rather than timed: async resources created
 * (promises, nextTicks, immediates, timers) and bytes allocated on the JS heap, per request, for a
 * non-stream chat and a 20-chunk stream with `stream_options.include_usage`.
 *
 * The set-up is the bench's (bench/config.ts): one openai-compatible provider with four keys in
 * front of the bench's mock upstream (bench/upstream.ts), file state, the admin and metrics
 * plugins, `logLevel: info` with the access log on, written to stdout (here /dev/null); only the
 * state file's debounced write is pushed out of the measurement (an hour instead of a second). Three
 * processes, so each figure is the server's alone:
 *
 * - the mock upstream, a child (`node --import tsx bench/upstream.ts`);
 * - Switchboard, a child (./hot-path-server.ts, built as core/main.ts builds it), with a 64 MB
 *   semi-space and `--expose-gc`; it opens and closes a measuring window when told over IPC;
 * - this process: the client, plain `node:http` with one kept-alive socket, sending the requests
 *   one after another.
 *
 * Per mode: a warm-up (lazy init, JIT, caches), then `batches` windows of `requests` sequential
 * requests each, first counting (async_hooks on), then weighing (async_hooks off: hooks allocate).
 * An empty window of each kind, measured the same way, is what the IPC round trip itself costs;
 * it is subtracted. A figure is the smallest window's (a timer of the server's own, such as the
 * access log's one-second flush, can land in any window; a regression lands in all of them), and
 * the spread across windows is reported with it.
 *
 *   node --import tsx test/helpers/hot-path-cost.ts          # prints the figures (JSON on stdout)
 *   HOT_PATH_REQUESTS=200 HOT_PATH_BATCHES=7 node --import tsx test/helpers/hot-path-cost.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHAT_BODY } from '../../bench/client.js';
import { BENCH_API_KEY, writeBenchConfig } from '../../bench/config.js';
import { freePort } from './free-port.js';
import type { BytesWindow, CountWindow, ServerCommand, ServerReply } from './hot-path-server.js';

export type Mode = 'nonstream' | 'stream';
export const MODES: readonly Mode[] = ['nonstream', 'stream'];

/** Node flags of the measured Switchboard: a young generation large enough that a batch never triggers a scavenge. */
export const SERVER_FLAGS = ['--import', 'tsx', '--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'];

/** The figures of one mode, per request. */
export interface ModeCost {
  promisesPerRequest: number;
  ticksPerRequest: number;
  immediatesPerRequest: number;
  timeoutsPerRequest: number;
  /** JS heap bytes allocated per request (used_heap_size growth with no collection in between). */
  bytesPerRequest: number;
  /** The bytes by heap space (new_space, old_space, code_space, ...), of the window with the fewest bytes. */
  spaces: Record<string, number>;
  /** Other async resource types per request (HTTPCLIENTREQUEST, TCPWRAP, ...), smallest window's. */
  other: Record<string, number>;
  /** Every window's figure, per request, in order: the spread. */
  windows: { promises: number[]; ticks: number[]; bytes: number[] };
}

export interface HotPathCost {
  node: string;
  requests: number;
  batches: number;
  nonstream: ModeCost;
  stream: ModeCost;
}

export interface MeasureOptions {
  /** Requests per window; default 100 (HOT_PATH_REQUESTS). */
  requests?: number;
  /** Windows per mode and kind; default 5 (HOT_PATH_BATCHES). */
  batches?: number;
  /** Warm-up requests per mode before any window; default 400 (HOT_PATH_WARMUP). */
  warmup?: number;
  /** SSE content chunks of the mock's stream; default 20. */
  chunks?: number;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CHAT_PATH = '/v1/chat/completions';
const BODIES: Record<Mode, string> = {
  nonstream: JSON.stringify(CHAT_BODY),
  stream: JSON.stringify({ ...CHAT_BODY, stream: true, stream_options: { include_usage: true } }),
};

const envNumber = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);

/** Start the mock and Switchboard, measure both modes, stop them. */
export async function measureHotPathCost(opts: MeasureOptions = {}): Promise<HotPathCost> {
  const requests = opts.requests ?? envNumber('HOT_PATH_REQUESTS') ?? 100;
  const batches = opts.batches ?? envNumber('HOT_PATH_BATCHES') ?? 5;
  const warmup = opts.warmup ?? envNumber('HOT_PATH_WARMUP') ?? 400;
  const chunks = opts.chunks ?? 20;
  const log = opts.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'swb-hot-path-'));
  const procs: ChildProcess[] = [];
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const upstreamPort = await freePort();
    const upstream = spawnNode(['--import', 'tsx', join(ROOT, 'bench/upstream.ts'), '--port', String(upstreamPort), '--chunks', String(chunks)], false);
    procs.push(upstream);
    await waitHealthy(upstream, `http://127.0.0.1:${upstreamPort}/health`);

    // Port 0: the server child reports the port it got over IPC.
    const config = writeBenchConfig(dir, 0, upstreamPort);
    // The state file is written a second after the pool changes: background work on a timer, not
    // the request's, which would land in some windows and not others. An hour keeps it out of all.
    appendFileSync(config, '\nstate:\n  driver: file\n  debounceMs: 3600000\n');
    const server = spawnNode([...SERVER_FLAGS, join(ROOT, 'test/helpers/hot-path-server.ts'), config], true);
    procs.push(server);
    const ipc = new Ipc(server);
    const ready = await ipc.next();
    if (!('ready' in ready)) throw new Error(`hot-path-server: unexpected first message ${JSON.stringify(ready)}`);
    const origin = `http://127.0.0.1:${ready.port}`;
    const send = (mode: Mode) => chat(agent, origin, mode, chunks);
    log(`hot-path: switchboard pid ${server.pid} at ${origin}, mock at :${upstreamPort}; ${warmup} warm-up, ${batches} × ${requests} requests per mode`);

    const started = Date.now();
    for (const mode of MODES) for (let i = 0; i < warmup; i++) await send(mode);
    log(`hot-path: warm-up ${Date.now() - started} ms`);

    // The IPC round trip of an empty window, counted and weighed: subtracted from every window.
    const emptyCounts: CountWindow[] = [];
    const emptyWeights: number[] = [];
    for (let i = 0; i < 3; i++) emptyCounts.push(await countWindow(ipc, 0, send, 'nonstream'));
    for (let i = 0; i < 3; i++) emptyWeights.push((await bytesWindow(ipc, 0, send, 'nonstream')).bytes);
    const emptyCount = minCount(emptyCounts);
    const emptyBytes = Math.min(...emptyWeights);
    log(`hot-path: an empty window: ${emptyCount.promises} promises, ${emptyCount.ticks} ticks, ${emptyBytes} B`);

    const result: Partial<Record<Mode, ModeCost>> = {};
    for (const mode of MODES) {
      const counts: CountWindow[] = [];
      for (let b = 0; b < batches; b++) counts.push(await countWindow(ipc, requests, send, mode));
      const weights: (BytesWindow & { requests: number })[] = [];
      for (let b = 0; b < batches; b++) weights.push(await bytesWindow(ipc, requests, send, mode));
      result[mode] = summarize(counts, weights, emptyCount, emptyBytes, requests);
      log(`hot-path: ${mode}: ${describe(result[mode]!)} (${Date.now() - started} ms)`);
    }
    ipc.send({ cmd: 'exit' });
    return { node: process.version, requests, batches, nonstream: result.nonstream!, stream: result.stream! };
  } finally {
    agent.destroy();
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One line: the figures of a mode and their spread. */
export function describe(c: ModeCost): string {
  const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`;
  return (
    `${c.promisesPerRequest} promises (${range(c.windows.promises)}), ${c.ticksPerRequest} ticks, ${c.immediatesPerRequest} immediates, ${c.timeoutsPerRequest} timeouts, ` +
    `${c.bytesPerRequest} B (${range(c.windows.bytes)}) heap per request (${Object.entries(c.spaces).map(([k, v]) => `${k} ${v}`).join(', ')})`
  );
}

type Send = (mode: Mode) => Promise<void>;

async function countWindow(ipc: Ipc, n: number, send: Send, mode: Mode): Promise<CountWindow> {
  await ipc.ask({ cmd: 'count-begin' });
  for (let i = 0; i < n; i++) await send(mode);
  const r = await ipc.ask({ cmd: 'count-end' });
  if (!('count' in r)) throw new Error(`hot-path-server: expected counts, got ${JSON.stringify(r)}`);
  return r.count;
}

/** A weighed window; one a collection ran in is measured again, with half the requests, up to four times. */
async function bytesWindow(ipc: Ipc, n: number, send: Send, mode: Mode): Promise<BytesWindow & { requests: number }> {
  for (let tries = 0, k = n; tries < 5; tries++, k = Math.max(1, k >> 1)) {
    await ipc.ask({ cmd: 'bytes-begin' });
    for (let i = 0; i < k; i++) await send(mode);
    const r = await ipc.ask({ cmd: 'bytes-end' });
    if (!('bytes' in r)) throw new Error(`hot-path-server: expected bytes, got ${JSON.stringify(r)}`);
    if (r.bytes.gcs === 0) return { ...r.bytes, requests: k };
  }
  throw new Error('hot-path: a garbage collection ran inside every weighed window; is the server running with --min-semi-space-size=64?');
}

function minCount(ws: CountWindow[]): CountWindow {
  const pick = (f: (w: CountWindow) => number) => Math.min(...ws.map(f));
  return { promises: pick((w) => w.promises), ticks: pick((w) => w.ticks), immediates: pick((w) => w.immediates), timeouts: pick((w) => w.timeouts), other: {} };
}

function summarize(counts: CountWindow[], weights: (BytesWindow & { requests: number })[], empty: CountWindow, emptyBytes: number, n: number): ModeCost {
  const per = (x: number, base: number, k = n) => round((x - base) / k);
  const promises = counts.map((w) => per(w.promises, empty.promises));
  const ticks = counts.map((w) => per(w.ticks, empty.ticks));
  const immediates = counts.map((w) => per(w.immediates, empty.immediates));
  const timeouts = counts.map((w) => per(w.timeouts, empty.timeouts));
  const bytes = weights.map((w) => Math.round((w.bytes - emptyBytes) / w.requests));
  // The other types of the window with the fewest promises.
  const quiet = counts[promises.indexOf(Math.min(...promises))];
  const other = Object.fromEntries(Object.entries(quiet.other).map(([t, c]) => [t, round(c / n)]));
  return {
    promisesPerRequest: Math.min(...promises),
    ticksPerRequest: Math.min(...ticks),
    immediatesPerRequest: Math.min(...immediates),
    timeoutsPerRequest: Math.min(...timeouts),
    bytesPerRequest: Math.min(...bytes),
    spaces: spacesOf(weights[bytes.indexOf(Math.min(...bytes))]),
    other,
    windows: { promises, ticks, bytes },
  };
}

const spacesOf = (w: BytesWindow & { requests: number }) =>
  Object.fromEntries(Object.entries(w.spaces).filter(([, v]) => v !== 0).map(([k, v]) => [k, Math.round(v / w.requests)]));

const round = (x: number) => Math.round(x * 100) / 100;

/** One request on the kept-alive socket, its answer read to the end and checked. */
function chat(agent: Agent, origin: string, mode: Mode, chunks: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const req = request(
      origin + CHAT_PATH,
      { method: 'POST', agent, headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODIES[mode]) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const ok = res.statusCode === 200 && (mode === 'stream' ? text.endsWith('data: [DONE]\n\n') && text.includes(` tok${chunks - 1}`) && text.includes('"usage"') : text.includes('MOCK-UPSTREAM'));
          if (ok) resolvePromise();
          else reject(new Error(`hot-path: ${mode} request answered ${res.statusCode}: ${text.slice(0, 300)}`));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(BODIES[mode]);
  });
}

function spawnNode(args: string[], ipc: boolean): ChildProcess {
  const env = { ...process.env };
  for (const k of ['HOST', 'PORT', 'SWITCHBOARD_CONFIG', 'NODE_OPTIONS']) delete env[k];
  return spawn(process.execPath, args, { cwd: ROOT, env, stdio: ipc ? ['ignore', 'ignore', 'pipe', 'ipc'] : ['ignore', 'ignore', 'pipe'] });
}

/** The child's stderr, kept for the error message if it dies. */
function stderrOf(p: ChildProcess): () => string {
  let text = '';
  p.stderr?.setEncoding('utf8').on('data', (c: string) => (text = (text + c).slice(-4000)));
  return () => text;
}

async function waitHealthy(p: ChildProcess, url: string): Promise<void> {
  const stderr = stderrOf(p);
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (p.exitCode !== null) throw new Error(`hot-path: mock upstream exited (${p.exitCode}): ${stderr()}`);
    try {
      const res = await fetch(url);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`hot-path: mock upstream not healthy at ${url} after 20 s: ${stderr()}`);
}

/** Messages from the server child, one at a time, in order. */
class Ipc {
  #queue: ServerReply[] = [];
  #waiting: ((m: ServerReply) => void) | undefined;
  #failed: Error | undefined;
  #reject: ((e: Error) => void) | undefined;

  constructor(private readonly child: ChildProcess) {
    const stderr = stderrOf(child);
    child.on('message', (m: ServerReply) => {
      const w = this.#waiting;
      if (w) {
        this.#waiting = this.#reject = undefined;
        w(m);
      } else this.#queue.push(m);
    });
    child.on('exit', (code, signal) => {
      this.#failed = new Error(`hot-path-server exited (${code ?? signal}): ${stderr()}`);
      this.#reject?.(this.#failed);
    });
  }

  send(m: ServerCommand): void {
    this.child.send(m);
  }

  next(): Promise<ServerReply> {
    const m = this.#queue.shift();
    if (m) return Promise.resolve(m);
    if (this.#failed) return Promise.reject(this.#failed);
    return new Promise((res, rej) => {
      this.#waiting = res;
      this.#reject = rej;
    });
  }

  ask(m: ServerCommand): Promise<ServerReply> {
    this.send(m);
    return this.next();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const cost = await measureHotPathCost({ log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${JSON.stringify(cost, null, 2)}\n`);
}
