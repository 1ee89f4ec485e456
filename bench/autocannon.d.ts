// Minimal types for the parts of autocannon 8's programmatic API the benchmark uses
// (the package ships none, and @types/autocannon is not a dependency).
declare module 'autocannon' {
  export interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    connections?: number;
    pipelining?: number;
    /** Seconds. */
    duration?: number;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
  }

  /** Percentile summary; latency values are milliseconds. */
  export interface Stats {
    average: number;
    mean: number;
    stddev: number;
    min: number;
    max: number;
    total: number;
    p50: number;
    p90: number;
    p99: number;
    p99_9: number;
  }

  export interface Result {
    /** Seconds actually run. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    resets: number;
    '2xx': number;
    latency: Stats;
    requests: Stats & { sent: number };
    throughput: Stats;
  }

  export default function autocannon(opts: Options, cb: (err: Error | null, result: Result) => void): unknown;
}
