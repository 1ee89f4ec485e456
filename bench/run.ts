/**
 * `npm run bench`: Switchboard against a bare undici passthrough, both in front of the same fast mock
 * upstream, all on 127.0.0.1. See bench/README.md for what is measured and the BENCH_* knobs.
 * Progress goes to stderr; the result table to stdout and bench/results/<timestamp>/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, freePort, killAllNow, peakRssMb, startNode, stopAll, waitReady, type Child } from './children.js';
import { probeP50s, validate, type Mode } from './client.js';
import { writeBenchConfig } from './config.js';
import { load } from './load.js';
import { renderText, summarize, writeResults, type Run, type Settings, type TargetRun } from './report.js';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
// Every process runs with the node flags and environment `npm start` uses (read from
// package.json, so the bench follows any change there), so no gateway gets a GC, allocator or
// loader advantage. BENCH_NODE_FLAGS overrides the flags, for trying one before changing the
// start script.
const START = startScript();
const NODE_FLAGS = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean) : START.flags;

function startScript(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^((?:\w+=\S*\s+)*)node\s+(.*?)\s*dist\/core\/main\.js/.exec(pkg.scripts.start);
  if (!m) throw new Error(`cannot read node flags from the start script: ${pkg.scripts.start}`);
  const env = Object.fromEntries(m[1].split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
  return { env, flags: m[2].split(/\s+/).filter(Boolean) };
}

function intKnob(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${text}: expected an integer >= ${min}`);
  return n;
}

function readSettings(): Settings {
  const modes = (process.env.BENCH_MODES || 'nonstream,stream').split(',').map((m) => m.trim()).filter(Boolean);
  for (const m of modes) if (m !== 'nonstream' && m !== 'stream') throw new Error(`BENCH_MODES: unknown mode "${m}" (nonstream, stream)`);
  if (modes.length === 0) throw new Error('BENCH_MODES is empty');
  return {
    durationS: intKnob('BENCH_DURATION', 10, 1),
    warmupS: intKnob('BENCH_WARMUP', 3, 0),
    connections: intKnob('BENCH_CONNECTIONS', 32, 1),
    runs: intKnob('BENCH_RUNS', 2, 1),
    probeRequests: intKnob('BENCH_PROBE_REQUESTS', 200, 1),
    probeOrder: process.env.BENCH_PROBE_ORDER === 'blocks' ? ('blocks' as const) : ('interleaved' as const),
    chunks: intKnob('BENCH_CHUNKS', 20, 2),
    modes: [...new Set(modes)] as Mode[],
  };
}

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

type LoadRun = Omit<TargetRun, 'c1Ms' | 'addedMs'>;

/** Warm-up, then the measured load run with the server's CPU time taken around it. */
async function measureLoad(target: Child, mode: Mode, s: Settings): Promise<LoadRun> {
  log(`  ${target.name}: ${s.warmupS} s warm-up, ${s.durationS} s load at ${s.connections} connections`);
  if (s.warmupS > 0) await load(target.origin, mode, s.connections, s.warmupS);
  const cpu0 = cpuSeconds(target);
  const l = await load(target.origin, mode, s.connections, s.durationS);
  const cpu = cpuSeconds(target) - cpu0;
  log(`    ${l.rps.toFixed(0)} req/s, p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, fails ${l.fails}`);
  return { rps: l.rps, p50Ms: l.p50Ms, p99Ms: l.p99Ms, fails: l.fails, cpuUsPerReq: l.ok > 0 ? (cpu * 1e6) / l.ok : NaN };
}

async function main(tmp: string): Promise<void> {
  const s = readSettings();
  const env = process.env;

  const upPort = await freePort(env.BENCH_UPSTREAM_PORT);
  const upstream = startNode('upstream', [...NODE_FLAGS, 'dist/bench/upstream.js', '--port', String(upPort), '--chunks', String(s.chunks)], upPort, ROOT, tmp, START.env);
  await waitReady(upstream, '/health');

  const ptPort = await freePort(env.BENCH_PASSTHROUGH_PORT);
  const passthrough = startNode('passthrough', [...NODE_FLAGS, 'dist/bench/passthrough.js', '--port', String(ptPort), '--upstream', upstream.origin], ptPort, ROOT, tmp, START.env);
  const sbPort = await freePort(env.BENCH_SWITCHBOARD_PORT);
  const config = writeBenchConfig(tmp, sbPort, upPort);
  const switchboard = startNode('switchboard', [...NODE_FLAGS, 'dist/core/main.js', '--config', config, '--port', String(sbPort)], sbPort, ROOT, tmp, START.env);
  await Promise.all([waitReady(passthrough, '/health'), waitReady(switchboard, '/readyz')]);
  log(`upstream ${upstream.origin} (pid ${upstream.pid}), passthrough ${passthrough.origin} (pid ${passthrough.pid}), switchboard ${switchboard.origin} (pid ${switchboard.pid})`);

  for (const t of [upstream, passthrough, switchboard]) await validate(t.name, t.origin, s.chunks);
  log('validation passed: all targets return the mock text, non-stream and stream');

  const runs: Run[] = [];
  for (let i = 0; i < s.runs; i++) {
    const run: Run = {};
    // Alternate the order between runs so slow drift (thermal, page cache) does not favour one target.
    const order = i % 2 === 0 ? [passthrough, switchboard] : [switchboard, passthrough];
    for (const mode of s.modes) {
      log(`run ${i + 1}/${s.runs}, ${mode}`);
      const loads = new Map<Child, LoadRun>();
      for (const t of order) loads.set(t, await measureLoad(t, mode, s));
      log(`  c=1 probe: ${s.probeRequests} requests each to mock, passthrough, switchboard (${s.probeOrder})`);
      const [directC1Ms, ptC1, sbC1] = await probeP50s([upstream.origin, passthrough.origin, switchboard.origin], mode, s.probeRequests, s.probeOrder);
      log(`    direct ${directC1Ms.toFixed(3)} ms, passthrough ${ptC1.toFixed(3)} ms, switchboard ${sbC1.toFixed(3)} ms`);
      const pt = { ...loads.get(passthrough)!, c1Ms: ptC1, addedMs: ptC1 - directC1Ms };
      const sb = { ...loads.get(switchboard)!, c1Ms: sbC1, addedMs: sbC1 - directC1Ms };
      run[mode] = { directC1Ms, passthrough: pt, switchboard: sb, ratio: pt.rps > 0 ? sb.rps / pt.rps : NaN };
    }
    runs.push(run);
  }

  const rss = { switchboard: peakRssMb(switchboard), passthrough: peakRssMb(passthrough) };
  const environment = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', date: new Date().toISOString() };
  const summary = summarize(s, environment, runs, rss);
  process.stdout.write(`\n${renderText(summary)}`);
  const dir = writeResults(BENCH_DIR, summary);
  log(`results written to ${dir}`);
}

const tmp = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const cleanup = async () => {
  await stopAll();
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', killAllNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping children`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main(tmp).then(
  () => cleanup(),
  async (err: unknown) => {
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);
