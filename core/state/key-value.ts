/**
 * Documents kept by key, each with a time to live, at most `maxEntries` of them (the oldest go
 * first): stored responses. Unlike the state document, which every instance holds whole, these
 * are read one at a time and only when asked for, so each driver keeps them where they can be
 * looked up alone (a map, a file per key, a Redis key).
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  /** True when the key was there. */
  delete(key: string): Promise<boolean>;
  /** Finish the writes in flight and let go of files (the state driver closes after this). */
  close(): Promise<void>;
}

export interface KeyValueOptions {
  ttlMs: number;
  maxEntries: number;
}

/** Keys are ids we generate; anything else is refused before it reaches a path or a Redis key. */
export const KEY_SHAPE = /^[A-Za-z0-9_-]{1,128}$/;

export function checkKey(key: string): void {
  if (!KEY_SHAPE.test(key)) throw new Error(`invalid key for the key-value store: ${JSON.stringify(key.slice(0, 40))}`);
}

/** The `memory` driver's, and the bookkeeping the file driver shares: insertion order is age order. */
export class MemoryKeyValue implements KeyValueStore {
  readonly #entries = new Map<string, { value: string; expires: number }>();

  constructor(
    private readonly options: KeyValueOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async get(key: string): Promise<string | undefined> {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    this.#entries.delete(key);
    this.#entries.set(key, { value, expires: this.now() + this.options.ttlMs });
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.options.maxEntries) break;
      this.#entries.delete(oldest);
    }
  }

  async delete(key: string): Promise<boolean> {
    return this.#entries.delete(key);
  }

  async close(): Promise<void> {}
}
