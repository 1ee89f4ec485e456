/**
 * How the benchmark starts its servers: the node flags and environment of `npm start` (read from
 * package.json), the mock upstream and a Switchboard on the generated bench config. Shared by the
 * normal run, `--soak` and `--peers`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startNode, type Child } from './children.js';
import { writeBenchConfig, type RedisState } from './config.js';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(BENCH_DIR, '..');

// Every process runs with the node flags and environment `npm start` uses (read from
// package.json, so the bench follows any change there), so no gateway gets a GC, allocator or
// loader advantage. BENCH_NODE_FLAGS overrides the flags, for trying one before changing the
// start script.
export const START = startScript();
export const NODE_FLAGS = process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean) : START.flags;

function startScript(): { env: Record<string, string>; flags: string[] } {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const m = /^((?:\w+=\S*\s+)*)node\s+(.*?)\s*dist\/core\/main\.js/.exec(pkg.scripts.start);
  if (!m) throw new Error(`cannot read node flags from the start script: ${pkg.scripts.start}`);
  const env = Object.fromEntries(m[1].split(/\s+/).filter(Boolean).map((kv) => kv.split('=', 2) as [string, string]));
  return { env, flags: m[2].split(/\s+/).filter(Boolean) };
}

/** The bench's own mock upstream (dist/bench/upstream.js) on a free port (or `portOverride`). */
export async function startUpstream(portOverride: string | undefined, chunks: number, tmp: string): Promise<Child> {
  const port = await freePort(portOverride);
  return startNode('upstream', [...NODE_FLAGS, 'dist/bench/upstream.js', '--port', String(port), '--chunks', String(chunks)], port, ROOT, tmp, START.env);
}

/**
 * Switchboard on the bench config; with `redis` the same config on the Redis state driver. `root`
 * is the checkout whose build runs (another one for an A/B); `tmp` holds its config, state and log.
 */
export async function startSwitchboard(name: string, portOverride: string | undefined, upPort: number, tmp: string, redis?: RedisState, root = ROOT): Promise<Child> {
  const port = await freePort(portOverride);
  const config = writeBenchConfig(tmp, port, upPort, redis);
  return startNode(name, [...NODE_FLAGS, 'dist/core/main.js', '--config', config, '--port', String(port)], port, root, tmp, START.env);
}

export const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** `bench/results/<ISO date with : and . as ->`: every mode writes its files there. */
export function resultsDir(date: string): string {
  return join(BENCH_DIR, 'results', date.replace(/[:.]/g, '-'));
}
