/**
 * `npm run profile`: where Switchboard's CPU goes per request. Starts the bench mock and a
 * Switchboard (or, with `--passthrough`, the bare passthrough) under `node --cpu-prof`, warms up,
 * loads it 10 s non-stream then 10 s stream at c=32, and prints self time grouped by module as µs
 * per request, from the load windows only (start-up and warm-up cut out). The .cpuprofile is kept
 * (open it in Chrome DevTools); `--redis` profiles the gated Redis config. Run it on a quiet
 * machine: busy time per request grows with load.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startNode, stopAll, waitReady } from './children.js';
import { benchRedisState, writeBenchConfig } from './config.js';
import { load } from './load.js';
import { groupProfile, newestProfile, type Window } from './profile-groups.js';
import { NODE_FLAGS, ROOT, START, startUpstream } from './servers.js';

const passthrough = process.argv.includes('--passthrough');
// --redis profiles the bench's Redis config: state.driver redis, every request through the gate.
const redis = process.argv.includes('--redis') ? benchRedisState() : undefined;
const seconds = Number(process.env.PROFILE_SECONDS ?? 10);
// PROFILE_MODES=nonstream (or stream) profiles one mode alone, so the .cpuprofile holds only it.
const modes = (process.env.PROFILE_MODES ?? 'nonstream,stream').split(',').map((m) => m.trim()) as ('nonstream' | 'stream')[];
for (const m of modes) if (m !== 'nonstream' && m !== 'stream') throw new Error(`PROFILE_MODES: unknown mode "${m}" (nonstream, stream)`);
const tmp = mkdtempSync(join(tmpdir(), 'switchboard-profile-'));
const outDir = join(tmp, 'profile');

const up = await startUpstream(undefined, 20, tmp);
await waitReady(up, '/health');
const port = await freePort();
const flags = [...NODE_FLAGS, '--cpu-prof', `--cpu-prof-dir=${outDir}`];
const target = passthrough
  ? startNode('passthrough', [...flags, 'dist/bench/passthrough.js', '--port', String(port), '--upstream', up.origin], port, ROOT, tmp, START.env)
  : startNode('switchboard', [...flags, 'dist/core/main.js', '--config', writeBenchConfig(tmp, port, up.port, redis), '--port', String(port)], port, ROOT, tmp, START.env);
await waitReady(target, passthrough ? '/health' : '/readyz');
for (const mode of modes) await load(target.origin, mode, 32, 3);
const windows: Window[] = [];
for (const mode of modes) {
  const from = Date.now();
  const l = await load(target.origin, mode, 32, seconds);
  windows.push({ name: mode, from, to: Date.now(), requests: l.ok });
  process.stderr.write(`[profile] ${mode}: ${l.rps.toFixed(0)} req/s\n`);
}
const stoppedAt = Date.now();
await stopAll();
const file = newestProfile(outDir);
process.stdout.write(groupProfile(file, windows, stoppedAt));
process.stdout.write(`\nprofile: ${file}\n`);
