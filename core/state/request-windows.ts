/**
 * Request windows (`throttle.windows`): at most N requests per credential (or credential and
 * model) in a fixed window that opens with its first request, as upstreams that count "15 per
 * minute, 150 per day" do. A full window rests the credential until it ends, like a cooldown, so
 * the pool passes it over and answers 429 with Retry-After when every credential is full.
 */
export interface RequestWindow {
  requests: number;
  windowMs: number;
}

/** What is counted so far, per window length (persisted with the record). */
export type WindowCounts = Record<string, { start: number; count: number }>;

export interface FullWindow {
  /** When it ends (epoch ms). */
  until: number;
  window: RequestWindow;
}

/** One more request started; returns the window that is now full and ends last, if any. */
export function countRequest(counts: WindowCounts, windows: readonly RequestWindow[], now: number): FullWindow | undefined {
  const counted = new Set<string>(); // two limits on one window length share its count
  for (const w of windows) {
    const key = String(w.windowMs);
    let c = Object.hasOwn(counts, key) ? counts[key] : undefined;
    if (!c || now >= c.start + w.windowMs) c = counts[key] = { start: now, count: 0 };
    if (!counted.has(key)) c.count++;
    counted.add(key);
  }
  return fullWindow(counts, windows, now);
}

/** The full window that ends last, if any: the credential rests until then. */
export function fullWindow(counts: WindowCounts | undefined, windows: readonly RequestWindow[], now: number): FullWindow | undefined {
  let full: FullWindow | undefined;
  for (const w of windows) {
    const key = String(w.windowMs);
    const c = counts && Object.hasOwn(counts, key) ? counts[key] : undefined;
    if (!c || now >= c.start + w.windowMs || c.count < w.requests) continue;
    if (!full || c.start + w.windowMs > full.until) full = { until: c.start + w.windowMs, window: w };
  }
  return full;
}

/** How a full window shows as a cooldown reason: `request window full (15 per 60s)`. */
export function windowReason(w: RequestWindow): string {
  const s = w.windowMs / 1000;
  const span = s % 86_400 === 0 ? `${s / 86_400}d` : s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 && s >= 60 ? `${s / 60}min` : `${s}s`;
  return `request window full (${w.requests} per ${span})`;
}

/** Counts read back from the store, checked. */
export function hydrateWindows(raw: unknown): WindowCounts | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const out = Object.create(null) as WindowCounts;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const c = v as Record<string, unknown> | null;
    if (c && typeof c.start === 'number' && typeof c.count === 'number' && Number.isFinite(c.start) && Number.isFinite(c.count)) out[k] = { start: c.start, count: c.count };
  }
  return Object.keys(out).length ? out : undefined;
}
