/**
 * `npm run bench -- --peers`, the second half: the peer benchmark (its own mock, its bare
 * passthrough, the Portkey gateway) run with a Switchboard on the default bench config as its
 * "project", so Portkey's figures sit next to ours from one run against one mock.
 *
 * The peer benchmark is not part of this repository: BENCH_PEERS_DIR names its folder. It may be
 * read-only, so its files are copied to bench/.peers/bench (git-ignored) and installed there with
 * `npm ci` from its own lockfile, again whenever that lockfile changes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { waitReady } from './children.js';
import { BENCH_API_KEY } from './config.js';
import { peerRows, PEERS_NOTES, renderPeersMarkdown, renderPeersText, type PeerMode, type PeerResults } from './peers-report.js';
import { BENCH_DIR, log, ROOT, startSwitchboard } from './servers.js';

/** The peer benchmark's folder: BENCH_PEERS_DIR, else its usual place beside this checkout. */
export function peersSource(): string {
  return resolve(process.env.BENCH_PEERS_DIR || join(ROOT, '..', 'shared', 'bench'));
}

const WORK = join(BENCH_DIR, '.peers', 'bench');
const SKIP = new Set(['node_modules', 'results', 'package']); // installed, produced, or fetched by the peer bench itself

/** Copies the peer benchmark's own files (not what it installs or produces), writable. */
function copyTree(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    if (SKIP.has(name)) continue;
    const src = join(from, name);
    const dst = join(to, name);
    if (statSync(src).isDirectory()) copyTree(src, dst);
    else writeFileSync(dst, readFileSync(src));
  }
}

let running: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((done, fail) => {
    // Its output is progress: to stderr, like ours. stdout stays for the tables.
    const p = spawn(cmd, args, { cwd, env, stdio: ['ignore', 2, 2] });
    running = p;
    p.once('error', fail);
    p.once('exit', (code, signal) => {
      running = undefined;
      done(code ?? (signal ? 128 : 1));
    });
  });
}

/** On Ctrl-C or a failure: the peer benchmark stops what it started (its own trap) on SIGTERM. */
export async function stopPeerBench(): Promise<void> {
  const p = running;
  if (!p || p.exitCode !== null) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    p.kill('SIGTERM');
  });
}

/** Last resort on a hard exit: SIGTERM still lets the peer benchmark's trap stop its servers. */
export function killPeerBenchNow(): void {
  if (running && running.exitCode === null) running.kill('SIGTERM');
}

/** Copy, and `npm ci` when nothing is installed yet or the lockfile changed since the last install. */
async function install(source: string): Promise<void> {
  for (const f of ['run.sh', 'bench.mjs', 'package.json', 'package-lock.json'])
    if (!existsSync(join(source, f))) throw new Error(`peer benchmark not found: ${join(source, f)} is missing; set BENCH_PEERS_DIR to the peer benchmark's folder`);
  copyTree(source, WORK);
  const lock = createHash('sha256').update(readFileSync(join(WORK, 'package-lock.json'))).digest('hex');
  const stamp = join(WORK, 'node_modules', '.switchboard-bench-lock');
  const portkey = join(WORK, 'node_modules', '@portkey-ai', 'gateway', 'build', 'start-server.js');
  if (existsSync(portkey) && existsSync(stamp) && readFileSync(stamp, 'utf8') === lock) return;
  log(`peers: npm ci in ${WORK} (the peer benchmark's lockfile: Portkey, autocannon, undici)`);
  const code = await run('npm', ['ci', '--no-audit', '--no-fund'], WORK, process.env);
  if (code !== 0 || !existsSync(portkey)) throw new Error(`Portkey could not be installed: npm ci in ${WORK} exited ${code}${code === 0 ? ' without @portkey-ai/gateway' : ''}`);
  writeFileSync(stamp, lock);
}

/**
 * Runs the peer benchmark against a fresh Switchboard, prints the combined table, writes
 * peers.{txt,md,json} to `resultsDir` (the peer benchmark's own files under peers/). Throws, after
 * printing what it has, when Portkey or Switchboard could not be measured.
 */
export async function runPeers(tmp: string, resultsDir: string): Promise<void> {
  const env = process.env;
  const source = peersSource();
  log(`peers: the peer benchmark from ${source}`);
  await install(source);

  const mockPort = Number(env.BENCH_MOCK_PORT || 18080);
  const dir = join(tmp, 'peers'); // a state file of its own, not the first Switchboard's
  mkdirSync(dir, { recursive: true });
  const sb = await startSwitchboard('switchboard-peers', env.BENCH_SWITCHBOARD_PORT, mockPort, dir);
  await waitReady(sb, '/readyz');
  log(`peers: switchboard ${sb.origin} (pid ${sb.pid}), upstream = the peer benchmark's mock at 127.0.0.1:${mockPort}`);

  const out = join(resultsDir, 'peers');
  const peerEnv = (targets: string) => ({
    ...env,
    BENCH_TARGETS: targets,
    BENCH_OUT: out,
    BENCH_MOCK_PORT: String(mockPort),
    MOCK_CHUNKS: env.BENCH_CHUNKS || '20',
    PROJECT_URL: sb.origin,
    PROJECT_NAME: 'switchboard',
    PROJECT_PIDS: String(sb.pid),
    PROJECT_HEADERS: JSON.stringify({ authorization: `Bearer ${BENCH_API_KEY}` }),
  });
  const problems: string[] = [];
  let code = await run('bash', ['run.sh'], WORK, peerEnv('direct,baseline,portkey,project'));
  if (!existsSync(join(out, 'results.json'))) {
    // run.sh stops before measuring anything when a server does not start. It starts the mock, then
    // the passthrough, then Portkey: a Portkey log means the first two were up.
    if (!existsSync(join(out, 'portkey.log'))) throw new Error(`the peer benchmark stopped before it started Portkey (exit ${code}); see the output above and ${out}`);
    const why = tail(join(out, 'portkey.log'));
    problems.push(`Portkey could not be started (the peer benchmark exited ${code} before measuring)${why ? `; its log ends:\n${why}` : ''}`);
    log(`peers: ${problems[0]}`);
    log('peers: measuring the passthrough and Switchboard without Portkey');
    code = await run('bash', ['run.sh'], WORK, peerEnv('direct,baseline,project'));
    if (!existsSync(join(out, 'results.json'))) throw new Error(`${problems[0]}\nand the peer benchmark failed without Portkey too (exit ${code}); see the output above and ${out}`);
  }

  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as PeerResults;
  const modes = ((env.BENCH_MODES || 'nonstream,stream').split(',').map((m) => m.trim()) as PeerMode[]).filter((m) => m === 'nonstream' || m === 'stream');
  const rows = peerRows(results, modes);
  for (const name of ['portkey', 'switchboard']) {
    const t = results.targets.find((x) => x.name === name);
    if (t && t.validation?.ok === false) problems.push(`${name} failed the peer benchmark's validation: ${t.validation.why}`);
  }
  const env0 = readIf(join(out, 'env.txt'));
  const head = `Peer benchmark, one run against its mock (${env.BENCH_DURATION || 10} s per load, c=${env.BENCH_CONNECTIONS || 32}, ${env.BENCH_CHUNKS || 20} SSE chunks), ${results.startedAt ?? ''}`;
  const text = [head, ...env0.split('\n').filter(Boolean), '', ...renderPeersText(rows), '', ...PEERS_NOTES, ...problems.map((p) => `PROBLEM: ${p}`), ''].join('\n');
  process.stdout.write(`\n${text}`);
  writeFileSync(join(resultsDir, 'peers.txt'), text);
  writeFileSync(
    join(resultsDir, 'peers.md'),
    ['# Peer benchmark', '', `${head}  `, ...env0.split('\n').filter(Boolean).map((l) => `${l}  `), '', ...renderPeersMarkdown(rows), '', ...PEERS_NOTES.map((n) => `- ${n}`), ...problems.map((p) => `- **${p}**`), ''].join('\n'),
  );
  writeFileSync(join(resultsDir, 'peers.json'), JSON.stringify({ source, environment: env0, rows, problems, raw: 'peers/results.json' }, null, 2) + '\n');
  log(`peers: results written to ${resultsDir}/peers.{txt,md,json} (the peer benchmark's own files in peers/)`);
  if (problems.length) throw new Error(`--peers: ${problems.join('; ')}`);
}

const readIf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
const tail = (file: string, lines = 10) => readIf(file).trimEnd().split('\n').slice(-lines).join('\n');
