/** Child processes of the benchmark: start on 127.0.0.1, wait until ready, read /proc, stop. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';

export interface Child {
  name: string;
  pid: number;
  port: number;
  origin: string;
  logFile: string;
  proc: ChildProcess;
}

const STOP_GRACE_MS = 5_000;
const READY_TIMEOUT_MS = 30_000;
const children: Child[] = [];

/** A free port: env override if given, else whatever the kernel hands out for port 0. */
export async function freePort(override?: string): Promise<number> {
  if (override) return Number(override);
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Spawns `node <args>` directly (not through npm), so the PID is the server's own and /proc reads
 * describe it. Output goes to a log file: never a pipe the benchmark would have to drain.
 */
export function startNode(name: string, args: string[], port: number, cwd: string, logDir: string, extraEnv: Record<string, string> = {}): Child {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const env = { ...process.env, ...extraEnv };
  // These would override the generated config's listen address.
  delete env.HOST;
  delete env.PORT;
  delete env.SWITCHBOARD_CONFIG;
  const proc = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn node`);
  const child = { name, pid: proc.pid, port, origin: `http://127.0.0.1:${port}`, logFile, proc };
  children.push(child);
  return child;
}

/** Polls `path` until it answers 200; fails early if the child dies. */
export async function waitReady(child: Child, path: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) {
      throw new Error(`${child.name} exited (${child.proc.exitCode ?? child.proc.signalCode}) before it was ready\n${logTail(child)}`);
    }
    try {
      // undici, not fetch: fetch refuses the WHATWG "bad ports", which an env override may pick.
      const res = await request(child.origin + path, { headersTimeout: 1_000, bodyTimeout: 1_000 });
      await res.body.dump();
      if (res.statusCode === 200) return;
      last = `HTTP ${res.statusCode}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${child.name} not ready at ${child.origin}${path} after ${READY_TIMEOUT_MS} ms (${last})\n${logTail(child)}`);
}

export function logTail(child: Child, lines = 20): string {
  try {
    const text = readFileSync(child.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    return `--- last lines of ${child.logFile} ---\n${text}`;
  } catch {
    return '';
  }
}

/** Peak resident set size in MB (VmHWM), i.e. the high-water mark over the process's life. */
export function peakRssMb(child: Child): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  if (!m) throw new Error(`no VmHWM for ${child.name} (pid ${child.pid})`);
  return Number(m[1]) / 1024;
}

/** User + system CPU seconds the process has used so far (/proc/<pid>/stat, USER_HZ = 100 on Linux). */
export function cpuSeconds(child: Child): number {
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  // Fields after the ")" that closes the command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** SIGTERM every child still running, SIGKILL whatever is left after the grace period. */
export async function stopAll(): Promise<void> {
  await stop(...children);
}

/** SIGTERM the given children (SIGKILL after a grace period) and wait for them to exit. */
export async function stop(...which: Child[]): Promise<void> {
  const running = which.filter((c) => c.proc.exitCode === null && c.proc.signalCode === null);
  await Promise.all(
    running.map(
      (c) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(() => c.proc.kill('SIGKILL'), STOP_GRACE_MS);
          c.proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          c.proc.kill('SIGTERM');
        }),
    ),
  );
}

/** Last resort on a hard exit, where nothing asynchronous can run any more. */
export function killAllNow(): void {
  for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
}
