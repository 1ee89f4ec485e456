/** Failed logins counted per address over this window. */
const WINDOW_MS = 15 * 60_000;
/** Past this many failures in the window an address is refused without a check. */
const MAX_FAILURES = 20;
/** Logins waiting out their delay at once, beyond which new ones are refused. */
const MAX_WAITING = 64;
const MAX_ADDRESSES = 10_000;

interface Failures {
  n: number;
  first: number;
}

/**
 * Slows guessing the admin key: each failed login answers after a delay that doubles with the
 * address's failures (1 s, 2 s, 4 s ... 16 s), an address with too many failures is refused
 * outright until its window passes, and only so many failed logins wait at once.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, Failures>();
  #waiting = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Seconds until `address` may try again, or 0 when it may now. */
  blockedFor(address: string): number {
    const f = this.#live(address);
    if (this.#waiting >= MAX_WAITING) return 1;
    return f && f.n >= MAX_FAILURES ? Math.ceil((f.first + WINDOW_MS - this.now()) / 1000) : 0;
  }

  /** A failed login: resolves when its answer may go. */
  async failed(address: string): Promise<void> {
    const f = this.#live(address) ?? { n: 0, first: this.now() };
    f.n++;
    this.#failures.set(address, f);
    if (this.#failures.size > MAX_ADDRESSES) this.#prune();
    this.#waiting++;
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** (f.n - 1), 16_000)));
    } finally {
      this.#waiting--;
    }
  }

  succeeded(address: string): void {
    this.#failures.delete(address);
  }

  #live(address: string): Failures | undefined {
    const f = this.#failures.get(address);
    if (f && this.now() - f.first > WINDOW_MS) {
      this.#failures.delete(address);
      return undefined;
    }
    return f;
  }

  #prune(): void {
    const t = this.now();
    for (const [a, f] of this.#failures) if (t - f.first > WINDOW_MS) this.#failures.delete(a);
    // Still too many: the oldest go (a flood of addresses must not grow the map without end).
    for (const a of this.#failures.keys()) {
      if (this.#failures.size <= MAX_ADDRESSES) break;
      this.#failures.delete(a);
    }
  }
}
