import { endedNow, hasEndedNow, readyFrames, readyNow, takeFrames, takeReady, type EndedNow, type Frames, type ReadyFrames, type ReadyNow } from '../contract/ready-now.js';

type Open<T> = () => Promise<AsyncIterable<T> | Iterable<T>>;

/**
 * A stream whose source is known only after an await (the upstream's answer), without an async
 * generator around it: `async *chat() { const res = await post(); yield* chunks(res) }` costs the
 * outer generator's own promise hops on every chunk. Here the first `next()` awaits `open`, and
 * every call after it goes straight to the source's iterator, as do its `readyNow`, `readyFrames`
 * and `endedNow` fast paths. Classes, not closures: two objects per stream, where an object of
 * arrow functions made eight.
 */
export function deferredStream<T>(open: Open<T>): AsyncIterable<T> {
  return new DeferredStream(open);
}

class DeferredStream<T> implements AsyncIterable<T> {
  constructor(private readonly open: Open<T>) {}

  [Symbol.asyncIterator](): DeferredIterator<T> {
    return new DeferredIterator(this.open);
  }
}

class DeferredIterator<T> implements AsyncIterator<T>, ReadyNow<T>, ReadyFrames<T>, EndedNow {
  #source: AsyncIterator<T> | Iterator<T> | undefined;
  /** The first `next()`: the source opened and its first result, in one `then`. */
  #opening: Promise<IteratorResult<T>> | undefined;
  #finished = false;

  constructor(private readonly open: Open<T>) {}

  /** The source, once it is open and until the stream is closed: what the fast paths ask. */
  get #live(): AsyncIterator<T> | Iterator<T> | undefined {
    return this.#finished ? undefined : this.#source;
  }

  [readyNow](): T | undefined {
    const source = this.#live;
    return source && takeReady<T>(source);
  }

  [readyFrames](): Frames<T> | undefined {
    const source = this.#live;
    return source && takeFrames<T>(source);
  }

  [endedNow](): boolean {
    const source = this.#live;
    return source !== undefined && hasEndedNow(source);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#finished) return Promise.resolve({ value: undefined, done: true });
    const source = this.#source;
    if (source === undefined) return this.#first();
    const r = source.next();
    return r instanceof Promise ? r : Promise.resolve(r);
  }

  #first(): Promise<IteratorResult<T>> {
    // A second next() before the first settled (no caller here does that) waits for it.
    if (this.#opening) return this.#opening.then(() => (this.#source as AsyncIterator<T>).next());
    return (this.#opening = this.open().then((s) => {
      const source = Symbol.asyncIterator in s ? (s as AsyncIterable<T>)[Symbol.asyncIterator]() : (s as Iterable<T>)[Symbol.iterator]();
      this.#source = source;
      return source.next();
    }));
  }

  async return(value?: unknown): Promise<IteratorResult<T>> {
    this.#finished = true;
    // Still opening: as a generator would, wait for it (here, for the first result too), then
    // close what it opened.
    if (this.#opening) await this.#opening.catch(() => undefined);
    if (this.#source?.return) await this.#source.return(value as T);
    return { value: undefined, done: true };
  }
}
