import { endedNow, hasEndedNow, readyFrames, readyNow, takeFrames, takeReady, type EndedNow, type ReadyFrames, type ReadyNow } from '../contract/ready-now.js';

/**
 * A stream whose source is known only after an await (the upstream's answer), without an async
 * generator around it: `async *chat() { const res = await post(); yield* chunks(res) }` costs the
 * outer generator's own promise hops on every chunk. Here the first `next()` awaits `open`, and
 * every call after it goes straight to the source's iterator, as do its `readyNow`, `readyFrames` and `endedNow` fast paths.
 */
export function deferredStream<T>(open: () => Promise<AsyncIterable<T> | Iterable<T>>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> & ReadyNow<T> & ReadyFrames<T> & EndedNow {
      let source: AsyncIterator<T> | Iterator<T> | undefined;
      /** The first `next()`: the source opened and its first result, in one `then`. */
      let opening: Promise<IteratorResult<T>> | undefined;
      let finished = false;
      const step = (): Promise<IteratorResult<T>> => {
        // A second next() before the first settled (no caller here does that) waits for it.
        if (opening) return opening.then(() => source!.next());
        return (opening = open().then((s) => {
          source = Symbol.asyncIterator in s ? (s as AsyncIterable<T>)[Symbol.asyncIterator]() : (s as Iterable<T>)[Symbol.iterator]();
          return source.next();
        }));
      };
      return {
        [readyNow]: () => (source === undefined || finished ? undefined : takeReady<T>(source)),
        [readyFrames]: () => (source === undefined || finished ? undefined : takeFrames<T>(source)),
        [endedNow]: () => source !== undefined && !finished && hasEndedNow(source),
        next(): Promise<IteratorResult<T>> {
          if (finished) return Promise.resolve({ value: undefined, done: true });
          if (!source) return step();
          const r = source.next();
          return r instanceof Promise ? r : Promise.resolve(r);
        },
        async return(value?: unknown): Promise<IteratorResult<T>> {
          finished = true;
          // Still opening: as a generator would, wait for it (here, for the first result too), then
          // close what it opened.
          if (opening) await opening.catch(() => undefined);
          if (source?.return) await source.return(value as T);
          return { value: undefined, done: true };
        },
      };
    },
  };
}
