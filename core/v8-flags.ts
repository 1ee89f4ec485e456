import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for the server process, set before anything else loads (main.ts imports this
 * first), so `npm start`, the installed `switchboard` command, Docker and systemd all get them.
 * Neither can go in NODE_OPTIONS, which takes only a few V8 flags.
 *
 * - `--liftoff-only`: undici parses HTTP with llhttp compiled to WebAssembly. On the first
 *   requests V8 recompiles llhttp's large parser function with its optimising compiler, which
 *   takes ~30 MB for a few hundred ms: the process's peak RSS, for a parser that costs about
 *   1 µs a request in its baseline (Liftoff) code. A paired A/B showed no CPU change. Only on
 *   x64 and arm64, where Liftoff compiles all of llhttp (SIMD included): elsewhere a function it
 *   cannot compile would fail instead of falling back.
 * - `--heap-growing-percent=30`: after a full collection the old generation may grow by 30 % of
 *   what survived before the next one, instead of up to 4x, so the garbage that in-flight
 *   requests promote is collected sooner. A full collection of this heap (~25 MB live) takes a
 *   few ms, once every few seconds under load.
 */
export const SERVER_V8_FLAGS = [...(process.arch === 'x64' || process.arch === 'arm64' ? ['--liftoff-only'] : []), '--heap-growing-percent=30'];

for (const flag of SERVER_V8_FLAGS) setFlagsFromString(flag);
