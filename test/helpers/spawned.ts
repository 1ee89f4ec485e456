import { spawn, type ChildProcess } from 'node:child_process';

export interface Spawned {
  child: ChildProcess;
  /** The exit code (null after a signal). */
  exited: Promise<number | null>;
  out(): string;
  err(): string;
}

/** A child process with its stdout and stderr collected as text, and its exit (once its output is all read) as a promise. */
export function spawnCaptured(cmd: string, args: string[], opts: { cwd?: string; env: NodeJS.ProcessEnv }): Spawned {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}
