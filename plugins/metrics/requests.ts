import { Counter, Histogram, type Registry } from 'prom-client';
import type { RequestOutcome, SwitchboardServices } from '../../core/index.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const TTFB_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Series {
  count: { inc(): void };
  duration: { observe(v: number): void };
  ttfb: { observe(v: number): void } | undefined;
}

/**
 * The client side, counted as requests finish: requests by route, model, provider and status,
 * and how long they took (whole answer, and first byte for streams). Each label combination's
 * children are looked up once and kept, so a request costs a map lookup and three additions.
 * Models are bounded by the core's model labels (unknown names are `other`).
 */
export function requestMetrics(registry: Registry, services: Pick<SwitchboardServices, 'outcomes' | 'modelLabels'>): void {
  const requests = new Counter({
    name: 'switchboard_requests_total',
    help: 'Model requests finished, by route, model (as requested; unknown names are "other"), provider that served or last tried it ("none" before any attempt) and HTTP status (499: the client left first).',
    labelNames: ['route', 'model', 'provider', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'switchboard_request_duration_seconds',
    help: 'Time from a model request arriving to its answer ending (the last byte of a stream), in seconds.',
    labelNames: ['route', 'model', 'provider'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const ttfb = new Histogram({
    name: 'switchboard_ttfb_seconds',
    help: 'Streams only: time from the request arriving to the first byte of the answer, in seconds.',
    labelNames: ['route', 'model', 'provider'],
    buckets: TTFB_BUCKETS,
    registers: [registry],
  });
  const series = new Map<string, Series>();
  const { modelLabels } = services;
  services.outcomes.listen((o: RequestOutcome) => {
    const model = modelLabels.label(o.model);
    const provider = o.provider || 'none';
    const key = `${o.route}\n${model}\n${provider}\n${o.status}\n${o.stream}`;
    let s = series.get(key);
    if (!s) {
      const labels = { route: o.route, model, provider };
      s = { count: requests.labels({ ...labels, status: String(o.status) }), duration: duration.labels(labels), ttfb: o.stream ? ttfb.labels(labels) : undefined };
      series.set(key, s);
    }
    s.count.inc();
    s.duration.observe(o.ms / 1000);
    if (s.ttfb && o.ttfbMs !== undefined) s.ttfb.observe(o.ttfbMs / 1000);
  });
}
