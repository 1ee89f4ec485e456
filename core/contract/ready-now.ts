/**
 * An optional fast path for async streams whose next items are often in hand already (one upstream
 * read completes many SSE events): `[readyNow]()` hands out the next item synchronously when it can,
 * and `undefined` when the caller must `await next()` (nothing buffered, the end, or a failure to
 * deliver). A consumer that drains what is ready before awaiting skips a promise and a microtask
 * hop or three per item; one that only uses `next()` sees the same items in the same order.
 */
export const readyNow: unique symbol = Symbol('switchboard.readyNow');

export interface ReadyNow<T> {
  [readyNow](): T | undefined;
}

/** The item `source` has in hand now, if it offers the fast path and has one. */
export function takeReady<T>(source: object): T | undefined {
  const take = (source as Partial<ReadyNow<T>>)[readyNow];
  return take === undefined ? undefined : take.call(source);
}

/**
 * A run of chunks in hand as the SSE text they arrived in (`data: {...}` events, each ending in a
 * blank line), for a front door that forwards chunk text unchanged: one write of the upstream's
 * own frames instead of a chunk object and a frame per event. `text` is a string, or the
 * upstream's own UTF-8 bytes when the source still has them (then nothing is re-encoded);
 * `last` is the run's last chunk.
 */
export interface Frames<T> {
  text: string | Buffer;
  last: T;
}

export const readyFrames: unique symbol = Symbol('switchboard.readyFrames');

/** A source that can hand out what it has in hand as one {@link Frames} run (`undefined`: none, or not as frames). */
export interface ReadyFrames<T> {
  [readyFrames](): Frames<T> | undefined;
}

/** The run of frames `source` has in hand now, if it offers them. */
export function takeFrames<T>(source: object): Frames<T> | undefined {
  const take = (source as Partial<ReadyFrames<T>>)[readyFrames];
  return take === undefined ? undefined : take.call(source);
}

export const endedNow: unique symbol = Symbol('switchboard.endedNow');

/**
 * A source that can tell, without a promise, that it has ended cleanly: nothing in hand, nothing
 * more to come, no failure to report. `false` means "ask `next()`", never "not ended".
 */
export interface EndedNow {
  [endedNow](): boolean;
}

/** Whether `source` knows now that it has ended cleanly (see {@link EndedNow}). */
export function hasEndedNow(source: object): boolean {
  const ended = (source as Partial<EndedNow>)[endedNow];
  return ended !== undefined && ended.call(source);
}
