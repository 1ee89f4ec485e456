/**
 * `npm run bench`: Switchboard against a bare undici passthrough, both in front of the same fast mock
 * upstream, all on 127.0.0.1. See bench/README.md for what is measured and the BENCH_* knobs.
 * BENCH_REDIS=1 adds a second Switchboard with `state.driver: redis`, measured in the same rounds.
 * `--peers` adds the peer benchmark after the run (peers.ts); `--soak N` runs the soak instead (soak.ts).
 * Progress goes to stderr; the result table to stdout and bench/results/<timestamp>/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { intKnob, parseBenchArgs, USAGE } from './args.js';
import { cpuSeconds, freePort, killAllNow, logTail, peakRssMb, startNode, stopAll, waitReady, type Child } from './children.js';
import { expectedText, probeP50s, validate, type Mode } from './client.js';
import { DOORS, FRONT_DOORS, type FrontDoor } from './front-doors.js';
import { safeRedisUrl } from '../core/state/redis-url.js';
import { benchRedisState, checkRedis, deleteRedisKeys, type RedisState } from './config.js';
import { load, loadRequest } from './load.js';
import { killPeerBenchNow, runPeers, stopPeerBench } from './peers.js';
import { renderText, summarize, writeResults, type DoorRun, type ModeRun, type Run, type Settings, type TargetRun } from './report.js';
import { BENCH_DIR, log, NODE_FLAGS, ROOT, START, startSwitchboard } from './servers.js';
import { runSoak } from './soak.js';

/** BENCH_REDIS=1: the Redis (REDIS_URL) and fresh key prefix of the second Switchboard; undefined when off. */
function redisKnob(): RedisState | undefined {
  const text = process.env.BENCH_REDIS ?? '';
  if (text !== '' && text !== '0' && text !== '1') throw new Error(`BENCH_REDIS=${text}: expected 1 (on) or 0 (off)`);
  return text === '1' ? benchRedisState() : undefined;
}

function readSettings(redis: RedisState | undefined): Settings {
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
    doors: frontDoorsKnob(modes),
    ...(redis && { redis: { url: safeRedisUrl(redis.url), keyPrefix: redis.keyPrefix } }),
  };
}

/** BENCH_FRONT_DOORS: `messages,responses` (the default, with the stream mode), or `none`. */
function frontDoorsKnob(modes: string[]): FrontDoor[] {
  const raw = process.env.BENCH_FRONT_DOORS ?? (modes.includes('stream') ? FRONT_DOORS.join(',') : 'none');
  if (raw.trim() === 'none') return [];
  const doors = raw.split(',').map((d) => d.trim()).filter(Boolean);
  for (const d of doors) if (!(FRONT_DOORS as readonly string[]).includes(d)) throw new Error(`BENCH_FRONT_DOORS: unknown front door "${d}" (${FRONT_DOORS.join(', ')}, or none)`);
  if (doors.length && !modes.includes('stream')) throw new Error('BENCH_FRONT_DOORS needs the stream mode in BENCH_MODES (their ratio is against it)');
  return [...new Set(doors)] as FrontDoor[];
}

/** Another front door's stream on Switchboard: warm-up, then load with the CPU time around it. */
async function measureDoor(sb: Child, door: FrontDoor, s: Settings): Promise<Omit<DoorRun, 'ratio' | 'chatRps'>> {
  const req = DOORS[door];
  log(`  ${sb.name} ${req.path} stream: ${s.warmupS} s warm-up, ${s.durationS} s load at ${s.connections} connections`);
  if (s.warmupS > 0) await loadRequest(sb.origin, req, s.connections, s.warmupS);
  const cpu0 = cpuSeconds(sb);
  const l = await loadRequest(sb.origin, req, s.connections, s.durationS);
  const cpu = cpuSeconds(sb) - cpu0;
  log(`    ${l.rps.toFixed(0)} req/s, fails ${l.fails}`);
  return { rps: l.rps, fails: l.fails, cpuUsPerReq: l.ok > 0 ? (cpu * 1e6) / l.ok : NaN };
}

/**
 * Each front door against the chat stream measured just before and just after it, on the same
 * server: the machine's speed drifts over a run by more than the translation costs, so a ratio to
 * a chat stream measured minutes earlier would mostly measure the drift. The chat stream of the
 * mode runs is the first "before" when it was measured last.
 */
async function measureDoors(sb: Child, doors: FrontDoor[], chatBefore: number, s: Settings): Promise<Partial<Record<FrontDoor, DoorRun>>> {
  const out: Partial<Record<FrontDoor, DoorRun>> = {};
  let before = chatBefore;
  for (const door of doors) {
    const d = await measureDoor(sb, door, s);
    log(`  ${sb.name} chat stream again, after ${door}`);
    const after = (await measureLoad(sb, 'stream', s)).rps;
    const chatRps = (before + after) / 2;
    out[door] = { ...d, chatRps, ratio: chatRps > 0 ? d.rps / chatRps : NaN };
    before = after;
  }
  return out;
}

/** Each other front door must stream the mock's exact text before it is measured. */
async function validateDoors(sb: Child, doors: FrontDoor[], chunks: number): Promise<void> {
  for (const door of doors) {
    const req = DOORS[door];
    const res = await request(sb.origin + req.path, { method: 'POST', headers: req.headers, body: req.body });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${sb.name} ${req.path}: HTTP ${res.statusCode}: ${text.slice(0, 500)}`);
    const got = req.text(text);
    if (got !== expectedText(chunks)) throw new Error(`${sb.name} ${req.path}: expected ${JSON.stringify(expectedText(chunks))}, got ${JSON.stringify(got)}`);
  }
}

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

/**
 * A Redis-backed Switchboard that loses Redis (a command slower than commandTimeoutMs, say) decides
 * alone for a while, so its figures would silently miss Redis: stop rather than report them. The
 * log catches an outage that is already over; /readyz one still going on.
 */
async function assertRedisHeld(child: Child): Promise<void> {
  const res = await request(`${child.origin}/readyz`);
  const ready = (await res.body.json()) as { degraded?: boolean };
  const lost = ready.degraded !== false || readFileSync(child.logFile, 'utf8').includes('Redis is unreachable');
  if (lost) throw new Error(`${child.name} lost Redis during the measurement (degraded mode), its figures would not include Redis\n${logTail(child)}`);
}

const ratio = (a: LoadRun, b: LoadRun) => (b.rps > 0 ? a.rps / b.rps : NaN);

/**
 * One mode of one run: load on each target in `order`, then one c=1 probe interleaving the mock and
 * every target, so all of them, the Redis-backed one included, share the same noise.
 */
async function measureMode(upstream: Child, targets: Child[], order: Child[], mode: Mode, s: Settings): Promise<ModeRun> {
  const loads = new Map<Child, LoadRun>();
  for (const t of order) loads.set(t, await measureLoad(t, mode, s));
  const names = targets.map((t) => t.name).join(', ');
  log(`  c=1 probe: ${s.probeRequests} requests each to mock, ${names} (${s.probeOrder})`);
  const [directC1Ms, ...c1] = await probeP50s([upstream.origin, ...targets.map((t) => t.origin)], mode, s.probeRequests, s.probeOrder);
  log(`    direct ${directC1Ms.toFixed(3)} ms, ${targets.map((t, j) => `${t.name} ${c1[j].toFixed(3)} ms`).join(', ')}`);
  const [pt, sb, sbRedis] = targets.map((t, j) => ({ ...loads.get(t)!, c1Ms: c1[j], addedMs: c1[j] - directC1Ms }));
  const redis = sbRedis && { ...sbRedis, ratio: ratio(sbRedis, pt), costMs: sbRedis.c1Ms - sb.c1Ms };
  if (redis) await assertRedisHeld(targets[2]);
  return { directC1Ms, passthrough: pt, switchboard: sb, ratio: ratio(sb, pt), ...(redis && { redis }) };
}

/** The normal run; returns the results directory. */
async function main(tmp: string): Promise<string> {
  const redis = redisKnob();
  const s = readSettings(redis);
  const env = process.env;
  if (redis) {
    await checkRedis(redis.url);
    afterStop.push(() => deleteBenchKeys(redis)); // once the Redis-backed Switchboard has written its last state
  }

  const upPort = await freePort(env.BENCH_UPSTREAM_PORT);
  const upstream = startNode('upstream', [...NODE_FLAGS, 'dist/bench/upstream.js', '--port', String(upPort), '--chunks', String(s.chunks)], upPort, ROOT, tmp, START.env);
  await waitReady(upstream, '/health');

  const ptPort = await freePort(env.BENCH_PASSTHROUGH_PORT);
  const passthrough = startNode('passthrough', [...NODE_FLAGS, 'dist/bench/passthrough.js', '--port', String(ptPort), '--upstream', upstream.origin], ptPort, ROOT, tmp, START.env);
  const switchboard = await startSwitchboard('switchboard', env.BENCH_SWITCHBOARD_PORT, upPort, tmp);
  const sbRedis = redis && (await startSwitchboard('switchboard-redis', env.BENCH_SWITCHBOARD_REDIS_PORT, upPort, tmp, redis));
  const targets = [passthrough, switchboard, ...(sbRedis ? [sbRedis] : [])];
  await Promise.all([waitReady(passthrough, '/health'), ...targets.slice(1).map((t) => waitReady(t, '/readyz'))]);
  log(`upstream ${upstream.origin} (pid ${upstream.pid}), ${targets.map((t) => `${t.name} ${t.origin} (pid ${t.pid})`).join(', ')}`);
  if (redis) log(`switchboard-redis: state.driver redis at ${safeRedisUrl(redis.url)}, keyPrefix ${redis.keyPrefix}`);

  for (const t of [upstream, ...targets]) await validate(t.name, t.origin, s.chunks);
  await validateDoors(switchboard, s.doors, s.chunks);
  log(`validation passed: all targets return the mock text, non-stream and stream${s.doors.length ? `, and ${s.doors.join(' and ')} stream it` : ''}`);

  const runs: Run[] = [];
  for (let i = 0; i < s.runs; i++) {
    const run: Run = {};
    // Alternate the order between runs so slow drift (thermal, page cache) does not favour one target.
    const order = i % 2 === 0 ? targets : [...targets].reverse();
    for (const mode of s.modes) {
      log(`run ${i + 1}/${s.runs}, ${mode}`);
      run[mode] = await measureMode(upstream, targets, order, mode, s);
    }
    if (s.doors.length) {
      log(`run ${i + 1}/${s.runs}, other front doors`);
      const chatBefore = s.modes.at(-1) === 'stream' ? run.stream!.switchboard.rps : (await measureLoad(switchboard, 'stream', s)).rps;
      run.doors = await measureDoors(switchboard, s.doors, chatBefore, s);
    }
    runs.push(run);
  }

  const rss = { switchboard: peakRssMb(switchboard), passthrough: peakRssMb(passthrough), ...(sbRedis && { switchboardRedis: peakRssMb(sbRedis) }) };
  const environment = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', date: new Date().toISOString() };
  const summary = summarize(s, environment, runs, rss);
  process.stdout.write(`\n${renderText(summary)}`);
  const dir = writeResults(BENCH_DIR, summary);
  log(`results written to ${dir}`);
  return dir;
}

/** Repeated runs must not grow Redis: every key under this run's random prefix goes. */
async function deleteBenchKeys(redis: RedisState): Promise<void> {
  try {
    const n = await deleteRedisKeys(redis);
    log(`deleted ${n} Redis key(s) under ${redis.keyPrefix}`);
  } catch (err) {
    log(`could not delete the Redis keys under ${redis.keyPrefix} at ${safeRedisUrl(redis.url)}: ${(err as Error).message}`);
  }
}

/** Clean-up steps that need the children gone first. */
const afterStop: (() => Promise<void>)[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
const cleanup = async () => {
  await Promise.all([stopAll(), stopPeerBench()]);
  for (const step of afterStop) await step();
  rmSync(tmp, { recursive: true, force: true });
};
process.on('exit', () => {
  killAllNow();
  killPeerBenchNow();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping children`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

/** The command line picks the run: normal, normal then the peers (`--peers`), or the soak alone (`--soak N`). */
async function dispatch(): Promise<void> {
  const cmd = parseBenchArgs(process.argv.slice(2));
  if (cmd.mode === 'help') {
    process.stdout.write(`${USAGE}\n`);
  } else if (cmd.mode === 'soak') {
    await runSoak(cmd.seconds, tmp);
  } else {
    const dir = await main(tmp);
    if (cmd.peers) {
      await stopAll(); // the peer run gets the machine to itself
      await runPeers(tmp, dir);
    }
  }
}

dispatch().then(
  () => cleanup(),
  async (err: unknown) => {
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    await cleanup();
    process.exitCode = 1;
  },
);
