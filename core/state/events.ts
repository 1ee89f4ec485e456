/**
 * What one Switchboard instance tells the others sharing its state (state.driver: redis), so an
 * admin action or an opened breaker takes effect on every instance, not only the one that saw it.
 */
export type ClusterEvent =
  /** The next request starts at this credential (admin rotate; by key: pools may list them in another order). */
  | { type: 'rotate'; provider: string; credential: string }
  /** An admin changed records (enable, disable): read them now rather than at the next sync. */
  | { type: 'changed'; provider: string }
  /** A credential rests `ms` (for every model when `model` is absent): a 429 or a spent quota elsewhere. */
  | { type: 'cooled'; provider: string; credential: string; model?: string; ms: number; reason?: string }
  /** The shared state brought another instance's change to the provider's credentials (said locally). */
  | { type: 'credentials'; provider: string }
  /** Every instance: re-read your config file and apply what can change live. */
  | { type: 'reload' }
  /** An admin reset the provider: records (read them now) and breakers (close them). */
  | { type: 'reset'; provider: string }
  /** A breaker (`*`: the provider-wide one) opened for `openMs`, or closed again (0). */
  | { type: 'breaker'; provider: string; model: string; openMs: number };

export interface SharedEvents {
  /** To every other instance; lost if one cannot hear it now (records still meet at the next sync). */
  publish(event: ClusterEvent): void;
  subscribe(handler: (event: ClusterEvent) => void): void;
  /** Remember an open breaker for instances that start later (`openMs` 0: it closed). */
  saveBreaker(provider: string, model: string, openMs: number): void;
  /** Breakers some instance opened that are still open: model -> ms left. */
  openBreakers(provider: string): Promise<Record<string, number>>;
  /** Forget the provider's open breakers (admin reset). */
  clearBreakers(provider: string): void;
}

const TYPES = new Set(['rotate', 'changed', 'reset', 'breaker', 'reload', 'cooled']);

/** An event off the wire, checked: a foreign or garbled message is dropped, never acted on. */
export function parseEvent(text: string): ClusterEvent | undefined {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (!e || typeof e !== 'object' || !TYPES.has(e.type as string)) return undefined;
  if (e.type !== 'reload' && typeof e.provider !== 'string') return undefined;
  if (e.type === 'rotate' && typeof e.credential !== 'string') return undefined;
  if (e.type === 'breaker' && (typeof e.model !== 'string' || typeof e.openMs !== 'number')) return undefined;
  if (e.type === 'cooled' && (typeof e.credential !== 'string' || typeof e.ms !== 'number' || (e.model !== undefined && typeof e.model !== 'string') || (e.reason !== undefined && typeof e.reason !== 'string'))) return undefined;
  return e as unknown as ClusterEvent;
}
