/** The `memory` state driver: state lives as long as the process (tests, throwaway instances). */
import { DocumentCounters, type HourlyCounters } from './hourly-counters.js';
import { MemoryKeyValue, type KeyValueOptions, type KeyValueStore } from './key-value.js';
import { emptyDocument, type StateDocument, type StateStore } from './store.js';

export class MemoryStore implements StateStore {
  readonly driver = 'memory';
  readonly data: StateDocument = emptyDocument();

  /** Nothing to persist. */
  changed(): void {}

  async flush(): Promise<void> {}

  async close(): Promise<void> {}

  hourlyCounters(namespace: string, retentionMs: number): HourlyCounters {
    return new DocumentCounters(this, namespace, retentionMs);
  }

  async keyValue(_namespace: string, options: KeyValueOptions): Promise<KeyValueStore> {
    return new MemoryKeyValue(options);
  }
}
