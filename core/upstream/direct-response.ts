import type { Dispatcher } from 'undici';
import { endedNow, readyNow, type EndedNow, type ReadyNow } from '../contract/ready-now.js';
import type { HeaderMap } from './header-value.js';

/** Chunks held before the upstream socket is paused (a slow client reading a fast upstream); taking them resumes it. */
const HIGH_WATER = 16;

/**
 * A response body fed straight from undici's dispatch callbacks: an array and one pending promise,
 * where `request()` builds a Readable stream with its event listeners, buffering state and a
 * promise hop per chunk through the stream's async iterator. Read it once: as an async iterable
 * of Buffers, with {@link text}, or abandon it with {@link destroy}. Leaving a `for await` early
 * (break, throw) destroys it too, which aborts the upstream request.
 */
export class DirectBody implements AsyncIterable<Buffer>, AsyncIterator<Buffer>, ReadyNow<Buffer>, EndedNow {
  #queue: Buffer[] = [];
  #ended = false;
  #error: Error | undefined;
  #paused = false;
  /** A reader waiting in next(): the next chunk, the end or the failure settles it directly. */
  #waiting: { resolve(r: IteratorResult<Buffer>): void; reject(err: Error): void } | undefined;
  /** text() waiting for the end: chunks are kept, never paused for. */
  #whole: { resolve(text: string): void; reject(err: Error): void } | undefined;

  constructor(private readonly controller: Dispatcher.DispatchController) {}

  /** @internal undici delivered a chunk. */
  push(chunk: Buffer): void {
    if (this.#error) return; // destroyed: undici may still deliver what was in flight
    const waiting = this.#waiting;
    if (waiting) {
      this.#waiting = undefined;
      waiting.resolve({ value: chunk, done: false });
      return;
    }
    this.#queue.push(chunk);
    if (!this.#paused && !this.#whole && this.#queue.length >= HIGH_WATER) {
      this.#paused = true;
      this.controller.pause();
    }
  }

  /** @internal The body ended. */
  end(): void {
    this.#ended = true;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.resolve(DONE);
    const whole = this.#whole;
    this.#whole = undefined;
    whole?.resolve(this.#rest());
  }

  /** @internal The transfer failed (reset, abort, timeout). */
  fail(err: Error): void {
    this.#error ??= err;
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(this.#error);
    const whole = this.#whole;
    this.#whole = undefined;
    whole?.reject(this.#error);
  }

  [Symbol.asyncIterator](): AsyncIterator<Buffer> {
    return this;
  }

  /** What is queued now, as one Buffer, without a promise; undefined when nothing is (next() tells the end or a failure). */
  [readyNow](): Buffer | undefined {
    return this.#error ? undefined : this.#take();
  }

  /** The body ended and everything in it was read: next() would answer done. */
  [endedNow](): boolean {
    return this.#ended && !this.#error && this.#queue.length === 0;
  }

  next(): Promise<IteratorResult<Buffer>> {
    const chunk = this.#take();
    if (chunk) return Promise.resolve({ value: chunk, done: false });
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  /** A `for await` left early: nobody will read the rest. */
  return(): Promise<IteratorResult<Buffer>> {
    this.destroy();
    return Promise.resolve(DONE);
  }

  /** Stop reading: abort the transfer unless it already ended. */
  destroy(err?: Error): void {
    if (this.#ended || this.#error) return;
    this.#queue = [];
    const reason = err ?? new Error('the response body was abandoned');
    this.fail(reason);
    this.controller.abort(reason);
  }

  /**
   * The whole body as UTF-8 text if it has already arrived (a small answer often comes in the
   * read that brought its headers), else undefined: the caller then waits for {@link text}.
   */
  textNow(): string | undefined {
    return this.#ended && !this.#error ? this.#rest() : undefined;
  }

  /** The whole body as UTF-8 text (one promise, settled at the end). */
  text(): Promise<string> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve(this.#rest());
    const whole = new Promise<string>((resolve, reject) => {
      this.#whole = { resolve, reject };
    });
    // After #whole is set: resume() may deliver chunks (and the end) synchronously.
    if (this.#paused) {
      this.#paused = false;
      this.controller.resume();
    }
    return whole;
  }

  /** What is queued, as text. */
  #rest(): string {
    const parts = this.#queue;
    this.#queue = [];
    return parts.length === 1 ? parts[0].toString('utf8') : Buffer.concat(parts).toString('utf8');
  }

  /**
   * Everything queued, as one Buffer: chunks pile up only while the reader is busy, and handing
   * them over together saves it a pass (a promise, a parser call) per chunk, as a Readable's
   * read() does.
   */
  #take(): Buffer | undefined {
    const queue = this.#queue;
    if (queue.length === 0) return undefined;
    const chunk = queue.length === 1 ? queue[0] : Buffer.concat(queue);
    queue.length = 0;
    if (this.#paused) {
      this.#paused = false;
      this.controller.resume();
    }
    return chunk;
  }
}

const DONE: IteratorResult<Buffer> = Object.freeze({ value: undefined, done: true });

/** What {@link requestDirect} answers: the status, the headers (lower-case names) and the body. */
export interface DirectResponse {
  statusCode: number;
  headers: HeaderMap;
  body: DirectBody;
}
