import type { RequestWindow } from './request-windows.js';

/**
 * Decisions several Switchboard instances must take together (state.driver: redis): may this
 * credential start a request now, under its throttle interval and concurrency cap, and is it
 * cooling down because another instance saw it fail? A pool without a gate decides alone.
 */
export type GateVerdict =
  /** `at`: when the gate admitted it, on the gate's own clock (observed by tests of the throttle). */
  | { ok: true; token: string | undefined; at?: number }
  /** Another instance started a request on it less than `minIntervalMs` ago: free in `waitMs`. */
  | { ok: false; why: 'throttled'; waitMs: number }
  /** `maxConcurrent` requests are in flight on it across instances. */
  | { ok: false; why: 'busy' }
  /** Another instance cooled it down (for every model, or for this one) for `waitMs` more. */
  | { ok: false; why: 'cooling'; scope: 'credential' | 'model'; waitMs: number; reason?: string };

export interface ReserveRequest {
  provider: string;
  /** The credential's stable key (its name or a hash: never the secret). */
  credential: string;
  model: string;
  /** Throttle per credential+model (`throttle.scope: model`) rather than per credential. */
  perModel: boolean;
  minIntervalMs: number;
  maxConcurrent: number;
  /** `throttle.windows`, counted across instances (per credential, or credential and model). */
  windows: readonly RequestWindow[];
}

export interface SharedGate {
  /** Ask to start a request. Resolves to `ok` when Redis cannot be asked (the instance decides alone). */
  reserve(req: ReserveRequest): Promise<GateVerdict>;
  /** The request that `reserve` admitted with `token` ended. */
  release(provider: string, credential: string, token: string): void;
  /** Tell every instance the credential rests `ms` (for every model when `model` is undefined), and why. */
  cool(provider: string, credential: string, model: string | undefined, ms: number, reason: string | undefined): void;
  /** An admin cleared the credential's cooldowns (for it and for these models). */
  clear(provider: string, credential: string, models: readonly string[]): void;
}
