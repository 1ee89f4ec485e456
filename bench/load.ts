/** Throughput under load: one autocannon run against one target, reduced to the numbers we report. */
import autocannon, { type Result } from 'autocannon';
import { CHAT_PATH, HEADERS, requestBody, type Mode } from './client.js';

export interface LoadResult {
  /** Successful (2xx) responses per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers plus transport errors (autocannon counts timeouts among its errors). */
  fails: number;
  ok: number;
}

export function load(origin: string, mode: Mode, connections: number, seconds: number): Promise<LoadResult> {
  return loadRequest(origin, { path: CHAT_PATH, headers: HEADERS, body: requestBody(mode) }, connections, seconds);
}

/** The same for any POST: the other front doors. */
export function loadRequest(origin: string, req: { path: string; headers: Record<string, string>; body: string }, connections: number, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: origin + req.path, method: 'POST', headers: req.headers, body: req.body, connections, pipelining: 1, duration: seconds },
      (err: Error | null, r: Result) => {
        if (err) return reject(err);
        resolve({
          rps: r['2xx'] / r.duration,
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          fails: r.non2xx + r.errors,
          ok: r['2xx'],
        });
      },
    );
  });
}
