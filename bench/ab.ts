/**
 * `npm run ab -- <other checkout>`: a paired A/B of two builds. Both Switchboards run at once on
 * the bench config, in front of one mock, each with its own state directory (two instances sharing
 * a state file read each other's writes, which skews both). They are loaded in turns, the order
 * alternating every round, and CPU is read from /proc around each load; the figure is the median
 * of the per-round ratios B/A, so the machine's drift over the run cancels out. A is the other
 * checkout (built there: `npm run build`), B this one (built first).
 *
 * One process can run 10-20 % slower than its twin for its whole life (where the scheduler puts
 * it, what its heap and JIT settled into), which no number of rounds between the same two
 * processes averages out. So the rounds are spread over `AB_PAIRS` pairs of fresh processes
 * (started in alternating order), and each pair's median is printed with the overall one: pairs
 * that disagree mean the difference is within that noise.
 *
 *   npm run ab -- /tmp/before                      # stream, 3 pairs of 4 rounds of 4 s
 *   AB_MODE=nonstream AB_PAIRS=4 AB_ROUNDS=3 npm run ab -- /tmp/before
 *
 * Run an A/A pairing (`npm run ab -- .`) first to see what the machine's noise is that day.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cpuSeconds, stop, stopAll, waitReady, type Child } from './children.js';
import { median, type Mode } from './client.js';
import { load } from './load.js';
import { ROOT, log, startSwitchboard, startUpstream } from './servers.js';

const other = process.argv[2];
if (!other) throw new Error('usage: npm run ab -- <directory of the build to compare against>');
const dirs = { A: resolve(other), B: ROOT };
for (const dir of Object.values(dirs)) if (!existsSync(join(dir, 'dist/core/main.js'))) throw new Error(`${dir}: no dist/core/main.js (run npm run build there)`);
const mode = (process.env.AB_MODE ?? 'stream') as Mode;
if (mode !== 'stream' && mode !== 'nonstream') throw new Error(`AB_MODE: unknown mode "${mode}" (stream, nonstream)`);
const pairs = Number(process.env.AB_PAIRS ?? 3);
const rounds = Number(process.env.AB_ROUNDS ?? 4);
const seconds = Number(process.env.AB_SECONDS ?? 4);
for (const [name, v] of Object.entries({ AB_PAIRS: pairs, AB_ROUNDS: rounds, AB_SECONDS: seconds })) {
  if (!(Number.isInteger(v) && v > 0)) throw new Error(`${name}: a positive whole number, got "${process.env[name]}"`);
}

type Ratios = { rps: number[]; cpu: number[] };
const tmp = mkdtempSync(join(tmpdir(), 'switchboard-ab-'));
const perPair: Ratios[] = [];
try {
  const up = await startUpstream(undefined, 20, tmp);
  await waitReady(up, '/health');
  for (let p = 0; p < pairs; p++) perPair.push(await pair(up.port, p));
} finally {
  await stopAll();
}
const all: Ratios = { rps: perPair.flatMap((r) => r.rps), cpu: perPair.flatMap((r) => r.cpu) };
const fmt = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(', ');
process.stdout.write(
  `${mode}, ${pairs} pairs of fresh processes x ${rounds} paired rounds of ${seconds} s at c=32; B = ${dirs.B}, A = ${dirs.A}\n` +
    `req/s B/A: median ${median(all.rps).toFixed(3)} (per pair ${fmt(perPair.map((r) => median(r.rps)))})\n` +
    `CPU/req B/A: median ${median(all.cpu).toFixed(3)} (per pair ${fmt(perPair.map((r) => median(r.cpu)))})\n`,
);

/** One pair of fresh processes: started (in alternating order), warmed up, loaded in turns, stopped. */
async function pair(upPort: number, p: number): Promise<Ratios> {
  const servers = {} as Record<'A' | 'B', Child>;
  for (const name of p % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
    servers[name] = await startSwitchboard(name, undefined, upPort, mkdtempSync(join(tmp, `${name}${p}-`)), undefined, dirs[name]);
    await waitReady(servers[name], '/readyz');
  }
  const ratios: Ratios = { rps: [], cpu: [] };
  try {
    for (const s of Object.values(servers)) await load(s.origin, mode, 32, 3);
    for (let r = 0; r < rounds; r++) {
      const got: Partial<Record<'A' | 'B', { rps: number; cpu: number }>> = {};
      for (const name of (r + p) % 2 ? (['B', 'A'] as const) : (['A', 'B'] as const)) {
        const s = servers[name];
        const before = cpuSeconds(s);
        const l = await load(s.origin, mode, 32, seconds);
        got[name] = { rps: l.rps, cpu: ((cpuSeconds(s) - before) * 1e6) / Math.max(1, l.ok) };
        log(`${mode} pair ${p + 1} round ${r + 1} ${name}: ${l.rps.toFixed(0)} req/s, ${got[name].cpu.toFixed(1)} µs/req${l.fails ? `, ${l.fails} failed` : ''}`);
      }
      ratios.rps.push(got.B!.rps / got.A!.rps);
      ratios.cpu.push(got.B!.cpu / got.A!.cpu);
    }
  } finally {
    await stop(servers.A, servers.B);
  }
  return ratios;
}
