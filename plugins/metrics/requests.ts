import type { Registry } from 'prom-client';
import type { RequestOutcome, SwitchboardServices } from '../../core/index.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TTFB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

type Labels = Record<string, string>;
interface Sample {
  labels: Labels;
  value: number;
  metricName?: string;
}

/** One histogram series: a count per bucket (not cumulative; the last is +Inf), the sum and the count. */
class Buckets {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    const b = this.bounds;
    let i = 0;
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  /** The exposition's samples: cumulative `_bucket` lines with `le`, then `_sum` and `_count`. */
  samples(name: string, labels: Labels, out: Sample[]): void {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += this.counts[i];
      out.push({ labels: { le: String(this.bounds[i]), ...labels }, value: cumulative, metricName: `${name}_bucket` });
    }
    out.push({ labels: { le: '+Inf', ...labels }, value: this.count, metricName: `${name}_bucket` });
    out.push({ labels, value: this.sum, metricName: `${name}_sum` });
    out.push({ labels, value: this.count, metricName: `${name}_count` });
  }
}

/** Everything one label combination has counted. */
interface Series {
  labels: Labels;
  status: string;
  requests: number;
  duration: Buckets;
  ttfb: Buckets | undefined;
}

/** A metric the registry reads at scrape time: the shape prom-client's own metrics give it. */
function scraped(registry: Registry, name: string, help: string, type: 'counter' | 'histogram', values: () => Sample[]): void {
  registry.registerMetric({
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
    reset: () => undefined,
  } as unknown as Parameters<Registry['registerMetric']>[0]);
}

/**
 * The client side, counted as requests finish: requests by route, model, provider and status,
 * and how long they took (whole answer, and first byte for streams). A request adds to plain
 * numbers of its label combination's series (a map lookup, three additions, a bucket search);
 * the exposition is built when Prometheus scrapes. prom-client's own children hash their labels
 * on every observation, which cost a few µs per request. Models are bounded by the core's model
 * labels (unknown names are `other`).
 */
export function requestMetrics(registry: Registry, services: Pick<SwitchboardServices, 'outcomes' | 'modelLabels'>): void {
  const series = new Map<string, Series>();
  const { modelLabels } = services;
  services.outcomes.listen((o: RequestOutcome) => {
    const model = modelLabels.label(o.model);
    const provider = o.provider || 'none';
    const key = `${o.route}\n${model}\n${provider}\n${o.status}\n${o.stream}`;
    let s = series.get(key);
    if (!s) {
      s = { labels: { route: o.route, model, provider }, status: String(o.status), requests: 0, duration: new Buckets(DURATION_BUCKETS), ttfb: o.stream ? new Buckets(TTFB_BUCKETS) : undefined };
      series.set(key, s);
    }
    s.requests++;
    s.duration.observe(o.ms / 1000);
    if (s.ttfb && o.ttfbMs !== undefined) s.ttfb.observe(o.ttfbMs / 1000);
  });

  // Series that differ only in status (or stream) share one duration series: summed here.
  const merged = (pick: (s: Series) => Buckets | undefined, bounds: readonly number[], name: string) => () => {
    const byLabels = new Map<string, { labels: Labels; sum: Buckets }>();
    for (const s of series.values()) {
      const b = pick(s);
      if (!b) continue;
      const k = `${s.labels.route}\n${s.labels.model}\n${s.labels.provider}`;
      let m = byLabels.get(k);
      if (!m) byLabels.set(k, (m = { labels: s.labels, sum: new Buckets(bounds) }));
      for (let i = 0; i < b.counts.length; i++) m.sum.counts[i] += b.counts[i];
      m.sum.sum += b.sum;
      m.sum.count += b.count;
    }
    const out: Sample[] = [];
    for (const m of byLabels.values()) if (m.sum.count > 0) m.sum.samples(name, m.labels, out);
    return out;
  };

  scraped(
    registry,
    'switchboard_requests_total',
    'Model requests finished, by route, model (as requested; unknown names are "other"), provider that served or last tried it ("none" before any attempt) and HTTP status (499: the client left first).',
    'counter',
    () => {
      const byStatus = new Map<string, Sample>();
      for (const s of series.values()) {
        const k = `${s.labels.route}\n${s.labels.model}\n${s.labels.provider}\n${s.status}`;
        const have = byStatus.get(k);
        if (have) have.value += s.requests;
        else byStatus.set(k, { labels: { ...s.labels, status: s.status }, value: s.requests });
      }
      return [...byStatus.values()];
    },
  );
  scraped(
    registry,
    'switchboard_request_duration_seconds',
    'Time from a model request arriving to its answer ending (the last byte of a stream), in seconds.',
    'histogram',
    merged((s) => s.duration, DURATION_BUCKETS, 'switchboard_request_duration_seconds'),
  );
  scraped(
    registry,
    'switchboard_ttfb_seconds',
    'Streams only: time from the request arriving to the first byte of the answer, in seconds.',
    'histogram',
    merged((s) => s.ttfb, TTFB_BUCKETS, 'switchboard_ttfb_seconds'),
  );
}
