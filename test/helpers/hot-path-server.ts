/**
 * The server side of the hot-path cost measurement (./hot-path-cost.ts starts it, never run it by
 * hand): a Switchboard built from a config file exactly as `core/main.ts` builds it (its own
 * logger, JSON lines on stdout through sonic-boom, which the parent sends to /dev/null), plus an
 * IPC channel through which the parent opens and closes a measuring window around a batch of its
 * requests. Nothing else runs in this process, so what the window sees is the server's own work.
 *
 *   node --import tsx --expose-gc --min-semi-space-size=64 --max-semi-space-size=64 \
 *     test/helpers/hot-path-server.ts <config.yaml>
 *
 * Two kinds of window, never both at once (async hooks allocate and slow promises down):
 *
 * - `count`: an async_hooks `init` hook, enabled only inside the window, counts the async
 *   resources created: PROMISE, TickObject (process.nextTick), Immediate, Timeout, and the rest
 *   by type.
 * - `bytes`: `gc()` first (the young generation is then empty), `used_heap_size` read at the
 *   window's start and end; with a 64 MB semi-space a batch fits without a scavenge, and a
 *   PerformanceObserver on `gc` entries says whether one ran anyway (the figure is then void).
 */
import 'reflect-metadata';
import { createHook } from 'node:async_hooks';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
import { buildApp } from '../../core/app.js';
import { prepare } from '../../core/startup.js';

export type ServerCommand = { cmd: 'count-begin' } | { cmd: 'count-end' } | { cmd: 'bytes-begin' } | { cmd: 'bytes-end' } | { cmd: 'exit' };

export interface CountWindow {
  promises: number;
  ticks: number;
  immediates: number;
  timeouts: number;
  /** Every other async resource type created in the window (TCPWRAP, HTTPCLIENTREQUEST, ...). */
  other: Record<string, number>;
}

export interface BytesWindow {
  /** used_heap_size at the window's end minus at its start. */
  bytes: number;
  /** The growth of each heap space (new_space, old_space, code_space, ...), the bytes' breakdown. */
  spaces: Record<string, number>;
  /** Collections that ran inside the window; the figures mean something only when 0. */
  gcs: number;
}

export type ServerReply = { ready: true; port: number } | { ok: true } | { count: CountWindow } | { bytes: BytesWindow };

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('hot-path-server needs --expose-gc');
const configPath = process.argv[2];
if (!configPath) throw new Error('usage: hot-path-server.ts <config.yaml>');

const prepared = await prepare({ file: configPath });
const app = await buildApp(prepared);
await app.listen({ host: '127.0.0.1', port: 0 });

// Plain numbers and one switch: the hook itself allocates nothing for the types that matter.
let promises = 0;
let ticks = 0;
let immediates = 0;
let timeouts = 0;
let other: Record<string, number> = {};
const hook = createHook({
  init(_id, type) {
    switch (type) {
      case 'PROMISE':
        promises++;
        break;
      case 'TickObject':
        ticks++;
        break;
      case 'Immediate':
        immediates++;
        break;
      case 'Timeout':
        timeouts++;
        break;
      default:
        other[type] = (other[type] ?? 0) + 1;
    }
  },
});

let gcs = 0;
new PerformanceObserver((list) => {
  gcs += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

let heapAtStart = 0;
let spacesAtStart: Record<string, number> = {};
let gcsAtStart = 0;

function spaceSizes(): Record<string, number> {
  return Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, s.space_used_size]));
}

const send = (reply: ServerReply) => process.send!(reply);

process.on('message', (m: ServerCommand) => {
  switch (m.cmd) {
    case 'count-begin':
      promises = ticks = immediates = timeouts = 0;
      other = {};
      hook.enable();
      send({ ok: true });
      break;
    case 'count-end': {
      hook.disable();
      send({ count: { promises, ticks, immediates, timeouts, other } });
      break;
    }
    case 'bytes-begin':
      gc!();
      // gc entries are delivered later: let the forced collection's own entry arrive first.
      setTimeout(() => {
        const h = getHeapStatistics();
        heapAtStart = h.used_heap_size;
        spacesAtStart = spaceSizes();
        gcsAtStart = gcs;
        send({ ok: true });
      }, 5);
      break;
    case 'bytes-end': {
      const h = getHeapStatistics();
      const bytes = h.used_heap_size - heapAtStart;
      const now = spaceSizes();
      const spaces = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (spacesAtStart[k] ?? 0)]));
      // Wait for any gc entry of the window to be delivered before saying there was none.
      setTimeout(() => send({ bytes: { bytes, spaces, gcs: gcs - gcsAtStart } }), 5);
      break;
    }
    case 'exit':
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
      break;
  }
});

send({ ready: true, port: (app.server.address() as AddressInfo).port });
