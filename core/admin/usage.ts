import { CLIENT_CLOSED } from '../errors/registry.js';
import type { ModelLabels } from '../routing/model-labels.js';
import { HOUR_MS, type HourlyCounters } from '../state/hourly-counters.js';

/** The name usage is counted under for requests without a client key (a server run open). */
export const ANONYMOUS = 'anonymous';

/** One client's use of one model in one hour. */
export interface UsageRow {
  /** The hour's start, ISO. */
  hour: string;
  client: string;
  model: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  /** Requests answered with an error (4xx or 5xx; a client that left is not an error). */
  errors: number;
}

/** Longest span one read covers: the console shows 24 hours or 7 days. */
export const MAX_USAGE_HOURS = 24 * 31;

/**
 * Requests, tokens and errors per client name, model and hour, counted from every request's
 * outcome into the state store (shared under Redis) and kept `usage.retentionDays`.
 */
export class UsageLedger {
  constructor(
    private readonly counters: HourlyCounters,
    private readonly labels: ModelLabels,
  ) {}

  /** One finished request (a request outcome, core/http/request-outcomes.ts). */
  readonly record = (o: { start: number; client?: string; model: string; status: number; tokensIn?: number; tokensOut?: number }): void => {
    const error = o.status >= 400 && o.status !== CLIENT_CLOSED ? 1 : 0;
    // Keys are bounded: client names come from the config, models from ModelLabels.
    this.counters.add(o.start, `${o.client ?? ANONYMOUS}\t${this.labels.label(o.model)}`, [1, o.tokensIn ?? 0, o.tokensOut ?? 0, error]);
  };

  /** The rows of the last `hours` hours (the current one included), oldest first. */
  async read(hours: number, now: number): Promise<{ from: string; to: string; data: UsageRow[] }> {
    const from = now - (hours - 1) * HOUR_MS;
    const rows = await this.counters.read(from, now);
    const data = rows.map(({ hour, key, values }) => {
      const tab = key.indexOf('\t');
      return { hour: new Date(hour).toISOString(), client: key.slice(0, tab), model: key.slice(tab + 1), requests: values[0] ?? 0, tokensIn: values[1] ?? 0, tokensOut: values[2] ?? 0, errors: values[3] ?? 0 };
    });
    return { from: new Date(from - (from % HOUR_MS)).toISOString(), to: new Date(now).toISOString(), data };
  }
}
