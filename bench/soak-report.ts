/** The soak's pure half: samples over time, least-squares slopes after the warm-up, the verdict, the text. */

/** One reading of the server, taken every sampling interval. */
export interface SoakSample {
  /** Seconds since the traffic started. */
  t: number;
  /** VmRSS and VmHWM (peak so far), MB. */
  rssMb: number;
  peakMb: number;
  /** `nodejs_heap_size_used_bytes` from /metrics, MB; null when it could not be read. */
  heapMb: number | null;
  /** Entries of /proc/<pid>/fd. */
  fds: number;
  /** Requests finished in the interval that ends here (all kinds), and per second. */
  requests: number;
  rps: number;
  /** Requests in the interval that did not end as their kind should (wrong status, transport error, bad body). */
  fails: number;
}

export interface Fit {
  /** Change per minute (least squares). */
  slopePerMin: number;
  /** Its standard error (NaN with fewer than 3 points). */
  stderrPerMin: number;
  points: number;
}

/** Limits for "flat", per minute of the fit window (README: why these). */
export const FLAT_RSS_MB_PER_MIN = 0.5;
export const FLAT_FDS_PER_MIN = 1;

/** Least-squares slope of y over x (and its standard error); NaN when fewer than two distinct x. */
export function leastSquares(xs: number[], ys: number[]): { slope: number; stderr: number } {
  const n = xs.length;
  if (n !== ys.length) throw new Error('leastSquares: xs and ys differ in length');
  if (n < 2) return { slope: NaN, stderr: NaN };
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (ys[i] - my);
  }
  if (sxx === 0) return { slope: NaN, stderr: NaN };
  const slope = sxy / sxx;
  if (n < 3) return { slope, stderr: NaN };
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i] - (my + slope * (xs[i] - mx))) ** 2;
  return { slope, stderr: Math.sqrt(sse / (n - 2) / sxx) };
}

/**
 * The warm-up the slopes leave out: the first 20 % of the soak. Not a fixed minute: until V8's first
 * old-space collection RSS only climbs, and on the bench machine that came at 105 s into a 600 s
 * soak (RSS 154 -> 114 MB), so a fit from 60 s on read that drop as a falling slope.
 */
export function warmupSeconds(durationS: number): number {
  return 0.2 * durationS;
}

/** Slope per minute of one figure over the samples at or after `fromS`. */
export function fit(samples: SoakSample[], fromS: number, pick: (s: SoakSample) => number | null): Fit {
  const kept = samples.filter((s) => s.t >= fromS && pick(s) !== null);
  const { slope, stderr } = leastSquares(
    kept.map((s) => s.t / 60),
    kept.map((s) => pick(s)!),
  );
  return { slopePerMin: slope, stderrPerMin: stderr, points: kept.length };
}

export interface SoakAnalysis {
  warmupS: number;
  rss: Fit;
  fds: Fit;
  heap: Fit;
  flat: boolean;
  verdict: string;
}

export function analyze(samples: SoakSample[], durationS: number): SoakAnalysis {
  const warmupS = warmupSeconds(durationS);
  const rss = fit(samples, warmupS, (s) => s.rssMb);
  const fds = fit(samples, warmupS, (s) => s.fds);
  const heap = fit(samples, warmupS, (s) => s.heapMb);
  const known = Number.isFinite(rss.slopePerMin) && Number.isFinite(fds.slopePerMin);
  const flat = known && Math.abs(rss.slopePerMin) < FLAT_RSS_MB_PER_MIN && Math.abs(fds.slopePerMin) < FLAT_FDS_PER_MIN;
  const windowMin = (durationS - warmupS) / 60;
  const what =
    `RSS ${signed(rss.slopePerMin, 2)} MB/min (|slope| < ${FLAT_RSS_MB_PER_MIN}), ` + `fds ${signed(fds.slopePerMin, 2)}/min (|slope| < ${FLAT_FDS_PER_MIN}), over ${f(windowMin, 1)} min after a ${f(warmupS, 0)} s warm-up`;
  const verdict = !known ? `UNKNOWN: too few samples after the warm-up (${rss.points})` : `${flat ? 'FLAT' : 'NOT FLAT'}: ${what}${windowMin < 4 ? '; a window this short is indicative only' : ''}`;
  return { warmupS, rss, fds, heap, flat, verdict };
}

const f = (n: number, d: number) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
const signed = (n: number, d: number) => (Number.isFinite(n) && n >= 0 ? '+' : '') + f(n, d);
const fitText = (x: Fit, unit: string) => `${signed(x.slopePerMin, 3)} ${unit}/min ± ${f(x.stderrPerMin, 3)} (${x.points} samples)`;

const HEAD = ['t s', 'req/s', 'requests', 'fails', 'RSS MB', 'peak MB', 'heap MB', 'fds'];

/** The samples as an aligned table (numbers right-aligned). */
export function renderSamples(samples: SoakSample[]): string[] {
  const rows = samples.map((s) => [f(s.t, 0), f(s.rps, 0), String(s.requests), String(s.fails), f(s.rssMb, 1), f(s.peakMb, 1), s.heapMb === null ? 'n/a' : f(s.heapMb, 1), String(s.fds)]);
  const table = [HEAD, ...rows];
  const widths = HEAD.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => c.padStart(widths[i])).join('  '));
}

export interface SoakSummary {
  settings: { durationS: number; intervalS: number; concurrency: number; thinkMs: number; chunks: number; mix: Record<string, number> };
  environment: { node: string; cpus: number; cpuModel: string; date: string };
  /** Per kind of request: how many, and how many did not end as they should. */
  kinds: Record<string, { count: number; fails: number }>;
  samples: SoakSample[];
  analysis: SoakAnalysis;
}

export function renderSoakText(s: SoakSummary): string {
  const st = s.settings;
  const total = Object.values(s.kinds).reduce((n, k) => n + k.count, 0);
  const fails = Object.values(s.kinds).reduce((n, k) => n + k.fails, 0);
  const a = s.analysis;
  return [
    `Switchboard soak: ${st.durationS} s of mixed traffic at ${st.concurrency} concurrent clients (${st.thinkMs} ms pause between a client's requests), ` +
      `sampled every ${st.intervalS} s; ${st.chunks} SSE content chunks`,
    `${s.environment.date}  node ${s.environment.node}  ${s.environment.cpus} CPU(s) ${s.environment.cpuModel}`,
    '',
    ...renderSamples(s.samples),
    '',
    `requests: ${total} (${f(total / st.durationS, 0)}/s), fails ${fails}: ` +
      Object.entries(s.kinds)
        .map(([k, v]) => `${k} ${v.count}${v.fails ? ` (${v.fails} failed)` : ''}`)
        .join(', '),
    'fails = requests that did not end as their kind should (the bad key must get 401, the unknown model 404, an abort must be an abort); t = 0 is before any traffic.',
    `slopes after the ${f(a.warmupS, 0)} s warm-up (least squares): RSS ${fitText(a.rss, 'MB')}, fds ${fitText(a.fds, 'fds')}, heap used ${fitText(a.heap, 'MB')}`,
    `peak RSS (VmHWM) at the end: ${f(s.samples.at(-1)?.peakMb ?? NaN, 1)} MB`,
    '',
    a.verdict,
    '',
  ].join('\n');
}
