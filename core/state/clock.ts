/**
 * Where the core reads the time for cooldowns, windows and stats. Tests inject a fake one to
 * check a 10-hour cooldown without waiting 10 hours.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to (tests, simulations). */
export class ManualClock implements Clock {
  constructor(private at = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.at;
  }

  advance(ms: number): void {
    this.at += ms;
  }

  set(at: number): void {
    this.at = at;
  }
}
