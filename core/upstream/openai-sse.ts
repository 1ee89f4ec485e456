import { StringDecoder } from 'node:string_decoder';
import type { ChatChunk } from '../contract/openai.js';
import { RawChatChunk } from '../contract/raw.js';
import { readyNow, type ReadyNow } from '../contract/ready-now.js';
import { SseParser, type SseEvent } from './sse-parser.js';
import { UpstreamError } from './upstream-error.js';

const ERROR_EVENT = /^\{\s*"error"\s*:/;
const EMPTY_CHOICES = /"choices"\s*:\s*\[\s*\]/;
const HAS_USAGE = /"usage"\s*:\s*\{/;
const HAS_FINISH = /"finish_reason"\s*:\s*"/;

/**
 * Turn an OpenAI-style upstream's `text/event-stream` body into chunks. Each chunk keeps the
 * upstream's JSON text (forwarded without re-serialising); the checks here are string scans, not
 * parses: an event that is not a JSON object is garbage, `{"error":...}` is an in-band failure,
 * and an empty `choices` prelude (Azure's content-filter results) is dropped because clients
 * index `choices[0]`. The body is read to its end even after `[DONE]`: leaving early destroys the
 * socket instead of returning it to the pool. `rewrite`, when given, edits each event's JSON text
 * (a provider stripping an upstream's extra fields).
 */
export function openaiSseChunks(body: AsyncIterable<Buffer>, rewrite?: (json: string) => string): AsyncGenerator<ChatChunk> {
  return new SseChunks(body[Symbol.asyncIterator](), rewrite);
}

const DONE: IteratorResult<ChatChunk> = Object.freeze({ value: undefined, done: true });

/**
 * The iterator behind {@link openaiSseChunks}, written out rather than as an async generator:
 * the chunks one body read completes are handed out from an array, a settled promise each, and
 * only an empty array waits for the body. A generator would add its own promise hops to every
 * chunk, on top of the body's.
 */
class SseChunks implements AsyncGenerator<ChatChunk>, ReadyNow<ChatChunk> {
  readonly #decoder = new StringDecoder('utf8');
  readonly #parser = new SseParser();
  #ready: ChatChunk[] = [];
  #at = 0;
  /** `[DONE]` seen: later events are read (to the body's end) and dropped. */
  #done = false;
  #last: string | undefined;
  /** Nothing more to read: the body ended, failed or was closed. */
  #closed = false;
  #bodyEnded = false;
  /** What ends the stream once the chunks before it are handed out (garbage, an in-band error). */
  #failure: unknown = undefined;

  constructor(
    private readonly body: AsyncIterator<Buffer>,
    private readonly rewrite: ((json: string) => string) | undefined,
  ) {}

  [Symbol.asyncIterator](): this {
    return this;
  }

  [readyNow](): ChatChunk | undefined {
    return this.#at < this.#ready.length ? this.#ready[this.#at++] : undefined;
  }

  next(): Promise<IteratorResult<ChatChunk>> {
    if (this.#at < this.#ready.length) return Promise.resolve({ value: this.#ready[this.#at++], done: false });
    if (this.#failure !== undefined) return this.#fail();
    if (this.#closed) return Promise.resolve(DONE);
    return this.#read();
  }

  async #read(): Promise<IteratorResult<ChatChunk>> {
    this.#ready = [];
    this.#at = 0;
    while (this.#ready.length === 0 && this.#failure === undefined) {
      let r: IteratorResult<Buffer>;
      try {
        r = await this.body.next();
      } catch (err) {
        this.#closed = this.#bodyEnded = true;
        throw err;
      }
      if (r.done) {
        this.#closed = this.#bodyEnded = true;
        this.#take(undefined);
        // Some servers omit [DONE]; a stream that reached its finish_reason is still complete.
        if (this.#failure === undefined && !this.#done && !(this.#last && HAS_FINISH.test(this.#last))) {
          this.#failure = UpstreamError.malformed('the upstream stream ended before it finished (no finish_reason, no [DONE])');
        }
        break;
      }
      this.#take(r.value);
    }
    if (this.#at < this.#ready.length) return { value: this.#ready[this.#at++], done: false };
    if (this.#failure !== undefined) return this.#fail();
    return DONE;
  }

  /** The chunks of the events a read completes (`undefined`: the body's end); the first bad event stops it, kept as the failure. */
  #take(bytes: Buffer | undefined): void {
    try {
      const events = bytes ? this.#parser.feed(this.#decoder.write(bytes)) : [...this.#parser.feed(this.#decoder.end()), ...this.#parser.end()];
      for (const ev of events) {
        if (this.#done) continue;
        const data = accept(ev);
        if (data === '[DONE]') this.#done = true;
        else if (data !== undefined) {
          this.#last = data;
          this.#ready.push(new RawChatChunk(this.rewrite ? this.rewrite(data) : data));
        }
      }
    } catch (err) {
      this.#failure = err;
    }
  }

  /** End with the failure: the body is closed (unless it ended) and nothing follows. */
  #fail(): Promise<never> {
    const err = this.#failure;
    this.#failure = undefined;
    this.#ready = [];
    this.#closeBody();
    return Promise.reject(err);
  }

  #closeBody(): void {
    this.#closed = true;
    if (this.#bodyEnded) return;
    this.#bodyEnded = true;
    void this.body.return?.()?.then(undefined, ignore);
  }

  /** The reader left early: the body is closed (which aborts the upstream request). */
  async return(): Promise<IteratorResult<ChatChunk>> {
    this.#ready = [];
    this.#failure = undefined;
    this.#closeBody();
    return DONE;
  }

  async throw(err: unknown): Promise<IteratorResult<ChatChunk>> {
    await this.return();
    throw err;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }
}

function ignore(): void {}

/** The event's JSON text, `[DONE]`, or undefined for events to skip; throws on garbage. */
function accept(ev: SseEvent): string | undefined {
  const data = ev.data;
  if (data.length === 0) return undefined;
  if (data === '[DONE]') return data;
  if (ev.event === 'error' || (data.indexOf('"error"') !== -1 && ERROR_EVENT.test(data))) {
    throw new UpstreamError('the upstream reported an error mid-stream', { body: data });
  }
  if (data.charCodeAt(0) !== 123 /* { */ || data.charCodeAt(data.length - 1) !== 125 /* } */) {
    const trimmed = data.trim();
    if (trimmed === '[DONE]') return trimmed;
    if (!trimmed.startsWith('{') || !trimmed.endsWith('}')) throw UpstreamError.malformed('the upstream sent an event that is not JSON', data);
    return accept({ event: ev.event, data: trimmed });
  }
  if (data.indexOf('[]') !== -1 && EMPTY_CHOICES.test(data) && !HAS_USAGE.test(data)) return undefined;
  return data;
}
