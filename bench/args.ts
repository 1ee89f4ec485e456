/**
 * The command line of `npm run bench -- <args>` (npm passes what follows `--` to bench/run.ts):
 *
 *   (none)          the normal run (BENCH_* knobs, see bench/README.md)
 *   --peers         the normal run, then the peer benchmark with this Switchboard as its project
 *   --soak <secs>   only the soak: one Switchboard under mixed traffic for <secs> seconds
 *   --help          this text
 */
import { parseArgs } from 'node:util';

export type BenchCommand = { mode: 'normal'; peers: boolean } | { mode: 'soak'; seconds: number } | { mode: 'help' };

export const USAGE = `usage: npm run bench [-- --peers | --soak <seconds> | --help]
  (no argument)     Switchboard against the bare passthrough (BENCH_* knobs, bench/README.md)
  --peers           the same, then the peer benchmark (BENCH_PEERS_DIR) with Switchboard as its project:
                    passthrough, Switchboard and Portkey side by side against its mock
  --soak <seconds>  one Switchboard under mixed traffic for that long (>= 30), memory and fds every BENCH_SOAK_INTERVAL s`;

/** Parses the arguments after `bench/run.ts`; throws with the usage on anything else. */
export function parseBenchArgs(argv: string[]): BenchCommand {
  let values: { peers?: boolean; soak?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { peers: { type: 'boolean' }, soak: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) return { mode: 'help' };
  if (values.soak !== undefined) {
    if (values.peers) throw new Error(`--soak and --peers are separate runs: pick one\n${USAGE}`);
    const seconds = Number(values.soak);
    if (!/^\d+$/.test(values.soak) || seconds < 30) throw new Error(`--soak ${values.soak}: expected a whole number of seconds >= 30\n${USAGE}`);
    return { mode: 'soak', seconds };
  }
  return { mode: 'normal', peers: values.peers === true };
}

/** A BENCH_* integer knob: its value, or `fallback` when unset; anything else than an integer >= `min` is an error naming it. */
export function intKnob(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name}=${text}: expected an integer >= ${min}`);
  return n;
}
