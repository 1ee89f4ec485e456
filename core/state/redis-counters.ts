/**
 * Hourly counters in Redis: one hash per namespace and hour (`c:<namespace>:<hourMs>`), a field
 * per key and position (`<i>|<key>`), added to with HINCRBY so instances never overwrite each
 * other. Additions wait here and go in one pipeline per sync tick, never on a request's path;
 * what Redis did not take (an outage) waits for the next tick.
 */
import type { Redis } from 'ioredis';
import { HOUR_MS, hourOf, type HourlyCounters, type HourlyRow } from './hourly-counters.js';

export interface CountersHost {
  readonly degraded: boolean;
  lost(why: string): void;
}

export class RedisCounters implements HourlyCounters {
  /** hour -> key -> what this instance added and Redis has not taken yet (field names are made at flush). */
  #pending = new Map<number, Map<string, number[]>>();
  #sending: Promise<void> | undefined;

  constructor(
    private readonly client: Redis,
    private readonly namespace: string,
    private readonly retentionMs: number,
    private readonly host: CountersHost,
  ) {}

  #key(hour: number): string {
    return `c:${this.namespace}:${hour}`;
  }

  add(at: number, key: string, values: readonly number[]): void {
    this.#merge(hourOf(at), key, values);
  }

  #merge(hour: number, key: string, values: readonly number[]): void {
    let rows = this.#pending.get(hour);
    if (!rows) this.#pending.set(hour, (rows = new Map()));
    const row = rows.get(key);
    if (!row) rows.set(key, values.slice());
    else for (let i = 0; i < values.length; i++) row[i] = (row[i] ?? 0) + values[i];
  }

  /** Send what waits (one at a time); what fails to go is put back for the next call. */
  flush(): Promise<void> {
    if (this.#sending) return this.#sending.then(() => this.flush());
    if (!this.#pending.size || this.host.degraded) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = new Map();
    const multi = this.client.multi();
    for (const [hour, rows] of batch) {
      const key = this.#key(hour);
      // Zeros too: a reader learns the vector's width from its fields.
      for (const [k, row] of rows) for (let i = 0; i < row.length; i++) multi.hincrby(key, `${i}|${k}`, row[i]);
      multi.pexpireat(key, hour + HOUR_MS + this.retentionMs);
    }
    this.#sending = multi.exec().then(
      (results) => {
        const failed = results?.find(([err]) => err);
        if (failed) throw failed[0];
      },
    ).catch((err: Error) => {
      this.#restore(batch);
      this.host.lost(err.message);
    }).finally(() => {
      this.#sending = undefined;
    });
    return this.#sending;
  }

  #restore(batch: Map<number, Map<string, number[]>>): void {
    for (const [hour, rows] of batch) for (const [k, row] of rows) this.#merge(hour, k, row);
  }

  async read(from: number, to: number): Promise<HourlyRow[]> {
    await this.flush();
    const hours: number[] = [];
    for (let h = hourOf(from); h <= to; h += HOUR_MS) hours.push(h);
    const byHour = new Map<number, Map<string, number>>();
    if (!this.host.degraded) {
      try {
        const pipe = this.client.pipeline();
        for (const h of hours) pipe.hgetall(this.#key(h));
        const results = (await pipe.exec()) ?? [];
        results.forEach(([err, value], i) => {
          if (err) throw err;
          byHour.set(hours[i], new Map(Object.entries(value as Record<string, string>).map(([f, n]) => [f, Number(n)])));
        });
      } catch (err) {
        this.host.lost((err as Error).message);
      }
    }
    // What has not reached Redis yet (an outage) still counts here.
    for (const [hour, rows] of this.#pending) {
      if (hour < hourOf(from) || hour > to) continue;
      let seen = byHour.get(hour);
      if (!seen) byHour.set(hour, (seen = new Map()));
      for (const [k, row] of rows) {
        for (let i = 0; i < row.length; i++) {
          const f = `${i}|${k}`;
          seen.set(f, (seen.get(f) ?? 0) + row[i]);
        }
      }
    }
    const rows: HourlyRow[] = [];
    for (const hour of hours) {
      const fields = byHour.get(hour);
      if (!fields) continue;
      const keys = new Map<string, number[]>();
      for (const [f, n] of fields) {
        const bar = f.indexOf('|');
        const i = Number(f.slice(0, bar));
        const key = f.slice(bar + 1);
        let v = keys.get(key);
        if (!v) keys.set(key, (v = []));
        v[i] = n;
      }
      for (const [key, values] of keys) rows.push({ hour, key, values: Array.from(values, (n) => n ?? 0) });
    }
    return rows;
  }
}
