import type { Dispatcher } from 'undici';
import type { HeaderMap } from './header-value.js';

/** Chunks held before the upstream socket is paused (a slow client reading a fast upstream). */
const HIGH_WATER = 16;

/**
 * A response body fed straight from undici's dispatch callbacks: an array and one pending promise,
 * where `request()` builds a Readable stream with its event listeners, buffering state and a
 * promise hop per chunk through the stream's async iterator. Read it once: as an async iterable
 * of Buffers, with {@link text}, or abandon it with {@link destroy}. Leaving a `for await` early
 * (break, throw) destroys it too, which aborts the upstream request.
 */
export class DirectBody implements AsyncIterable<Buffer>, AsyncIterator<Buffer> {
  #queue: Buffer[] = [];
  #head = 0;
  #ended = false;
  #error: Error | undefined;
  #paused = false;
  #wake: (() => void) | undefined;

  constructor(private readonly controller: Dispatcher.DispatchController) {}

  /** @internal undici delivered a chunk. */
  push(chunk: Buffer): void {
    if (this.#error) return; // destroyed: undici may still deliver what was in flight
    this.#queue.push(chunk);
    if (!this.#paused && this.#queue.length - this.#head >= HIGH_WATER) {
      this.#paused = true;
      this.controller.pause();
    }
    this.#wake?.();
  }

  /** @internal The body ended. */
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }

  /** @internal The transfer failed (reset, abort, timeout). */
  fail(err: Error): void {
    this.#error ??= err;
    this.#wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this;
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#take();
    if (chunk) return Promise.resolve({ value: chunk, done: false });
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#wake = () => {
        this.#wake = undefined;
        this.next().then(resolve, reject);
      };
    });
  }

  /** A `for await` left early: nobody will read the rest. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stop reading: abort the transfer unless it already ended. */
  destroy(err?: Error): void {
    if (this.#ended || this.#error) return;
    const reason = err ?? new Error('the response body was abandoned');
    this.#error = reason;
    this.#queue = [];
    this.#head = 0;
    this.controller.abort(reason);
  }

  /** The whole body as UTF-8 text. */
  async text(): Promise<string> {
    const parts: Buffer[] = [];
    for (let chunk = await this.next(); !chunk.done; chunk = await this.next()) parts.push(chunk.value);
    return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
  }

  #take(): Buffer | undefined {
    if (this.#head === this.#queue.length) return undefined;
    const chunk = this.#queue[this.#head++];
    if (this.#head === this.#queue.length) {
      this.#queue.length = 0;
      this.#head = 0;
    }
    if (this.#paused && this.#queue.length - this.#head < HIGH_WATER / 2) {
      this.#paused = false;
      this.controller.resume();
    }
    return chunk;
  }
}

/** What {@link requestDirect} answers: the status, the headers (lower-case names) and the body. */
export interface DirectResponse {
  statusCode: number;
  headers: HeaderMap;
  body: DirectBody;
}
