/**
 * Counters kept per hour (usage per client and model): each key of an hour holds a fixed-width
 * vector of counts. Hours older than the retention are dropped. The memory and file drivers keep
 * them in the state document; the Redis driver in one hash per hour, shared by every instance.
 */

export const HOUR_MS = 3_600_000;

/** One key's counts in one hour. */
export interface HourlyRow {
  /** The hour's start, epoch ms. */
  hour: number;
  key: string;
  values: number[];
}

export interface HourlyCounters {
  /** Add `values` to `key`'s vector in the hour holding `at` (epoch ms). Cheap: on the request path. */
  add(at: number, key: string, values: readonly number[]): void;
  /** Every key of the hours from `from` to `to` (epoch ms, both included), as every instance counted. */
  read(from: number, to: number): Promise<HourlyRow[]>;
}

export const hourOf = (at: number): number => at - (at % HOUR_MS);

/** Kept in `data.counters[namespace][hourStartMs][key]`, written with the document. */
export class DocumentCounters implements HourlyCounters {
  readonly #hours: Record<string, Record<string, number[]>>;
  #current = -1;
  #bucket: Record<string, number[]> = {};

  constructor(
    private readonly store: { data: { counters?: Record<string, Record<string, Record<string, number[]>>> }; changed(): void },
    namespace: string,
    private readonly retentionMs: number,
  ) {
    const all = (store.data.counters ??= {});
    this.#hours = all[namespace] ??= {};
  }

  add(at: number, key: string, values: readonly number[]): void {
    const hour = hourOf(at);
    if (hour !== this.#current) this.#enter(hour);
    const v = (this.#bucket[key] ??= new Array<number>(values.length).fill(0));
    for (let i = 0; i < values.length; i++) v[i] = (v[i] ?? 0) + values[i];
    this.store.changed();
  }

  /** A new hour: its bucket, and the hours past the retention dropped. */
  #enter(hour: number): void {
    this.#current = hour;
    this.#bucket = this.#hours[hour] ??= {};
    for (const h of Object.keys(this.#hours)) if (Number(h) < hour - this.retentionMs) delete this.#hours[h];
  }

  async read(from: number, to: number): Promise<HourlyRow[]> {
    const rows: HourlyRow[] = [];
    for (const [h, keys] of Object.entries(this.#hours)) {
      const hour = Number(h);
      if (hour < hourOf(from) || hour > to) continue;
      for (const [key, values] of Object.entries(keys)) if (Array.isArray(values)) rows.push({ hour, key, values: values.map(Number) });
    }
    return rows.sort((a, b) => a.hour - b.hour);
  }
}
