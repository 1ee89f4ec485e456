/**
 * The state Switchboard keeps across restarts: credential pool state, usage and stats. The core
 * owns the document's sections and mutates them in place; a driver decides where the document
 * lives and when it is written.
 */
import type { SharedGate } from './gate.js';
import type { SharedEvents } from './events.js';
import type { CredentialChanges } from './credential-changes.js';
import type { KeyValueOptions, KeyValueStore } from './key-value.js';
import type { HourlyCounters } from './hourly-counters.js';

export interface StateDocument {
  version: 1;
  /** providerId -> credential key -> that credential's record (see core/state/records.ts). */
  pools: Record<string, Record<string, unknown>>;
  /** providerId -> model -> adaptive rate-limit estimate (see core/state/adaptive-record.ts). */
  observed?: Record<string, Record<string, unknown>>;
  /** providerId -> credentials an admin added or removed (see core/state/credential-changes.ts). */
  credentials?: Record<string, CredentialChanges>;
  /** namespace -> hour start (epoch ms) -> key -> counts (core/state/hourly-counters.ts), file and memory drivers. */
  counters?: Record<string, Record<string, Record<string, number[]>>>;
}

export interface StateStore {
  /** `memory`, `file`, ... */
  readonly driver: string;
  /** The live document: read once at open, then mutated in place by its owners. */
  readonly data: StateDocument;
  /**
   * The document changed: persist it soon. Cheap enough to call on every request. `provider` and
   * `credential` say where, when the caller knows (a shared driver then sends only that); without
   * them, anything may have changed.
   */
  changed(provider?: string, credential?: string): void;
  /** Persist now and wait for it (tests, shutdown). */
  flush(): Promise<void>;
  /** Shared drivers: take in what other instances changed, before state is shown. */
  refresh?(): Promise<void>;
  /** Flush and stop: no write happens after this resolves. */
  close(): Promise<void>;
  /** Drivers shared by several instances decide throttles and cooldowns together through it. */
  readonly gate?: SharedGate;
  /** ...and tell each other of admin actions and breakers through it. */
  readonly events?: SharedEvents;
  /** True while a shared driver cannot reach its server (each instance decides alone meanwhile). */
  readonly degraded?: boolean;
  /** Documents kept by key beside the state document, where this driver keeps state (stored responses). */
  keyValue(namespace: string, options: KeyValueOptions): Promise<KeyValueStore>;
  /** Counters per hour kept `retentionMs`, where this driver keeps state (usage per client and model). */
  hourlyCounters(namespace: string, retentionMs: number): HourlyCounters;
}

export function emptyDocument(): StateDocument {
  return { version: 1, pools: {} };
}
