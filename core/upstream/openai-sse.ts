import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import type { ChatChunk } from '../contract/openai.js';
import { RawChatChunk } from '../contract/raw.js';
import { endedNow, hasEndedNow, readyFrames, readyNow, takeReady, type EndedNow, type Frames, type ReadyFrames, type ReadyNow } from '../contract/ready-now.js';
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

/** A line this long without a blank line after it is not an event stream (as the SSE parser holds). */
const MAX_CARRY = 16 * 1024 * 1024;

/**
 * The iterator behind {@link openaiSseChunks}, written out rather than as an async generator:
 * the chunks one body read completes are handed out in hand, a settled promise each, and only an
 * empty read waits for the body. A generator would add its own promise hops to every chunk.
 *
 * Most reads hold only events framed exactly `data: {...}\n\n`. Those are found by a scan that
 * allocates nothing per event: their places in the read's text are kept, a chunk's text is cut
 * out when it is taken, and a front door that forwards chunk text unchanged takes the whole run
 * as one piece of text ({@link readyFrames}). The first event framed any other way (a comment, an
 * `event:` line, CRLF, a multi-line payload, `"error"` or `[]` in the payload), and everything
 * after it until the parser is back at an event boundary, goes the general way: the WHATWG
 * parser and the per-event checks, so both ways hand out the same chunks.
 */
class SseChunks implements AsyncGenerator<ChatChunk>, ReadyNow<ChatChunk>, ReadyFrames<ChatChunk>, EndedNow {
  /** Made on first use: a stream of ASCII reads framed the common way needs neither. */
  #decoder: StringDecoder | undefined;
  #parser: SseParser | undefined;
  /** The text of the last read the scan took events from. */
  #text = '';
  /** That read's bytes, when they are its text one for one (ASCII): runs of frames go out as these bytes. */
  #bytes: Buffer | undefined;
  /** Start and end of each scanned event's payload in #text, in order; #fi is the next. */
  readonly #offs: number[] = [];
  #fi = 0;
  /** Chunks from the general path, after the scanned ones of the same read. */
  #ready: ChatChunk[] = [];
  #at = 0;
  /** The scan's unfinished event at the end of a read (the parser was at a boundary, so it holds nothing). */
  #carry = '';
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
    return this.#inHand() ?? (this.#readNow() ? this.#inHand() : undefined);
  }

  /**
   * Take a body read that is queued already (it arrived while the reader was busy), without a
   * promise: true if one was taken. Only once everything in hand is handed out, and never after a
   * failure or the end, which next() tells.
   */
  #readNow(): boolean {
    if (this.#failure !== undefined || this.#closed || this.#holding()) return false;
    const bytes = takeReady<Buffer>(this.body);
    if (bytes === undefined) return false;
    this.#drop();
    this.#take(bytes);
    return true;
  }

  /**
   * Ended cleanly, as next() would say: nothing in hand and no failure, and the body's end already
   * taken (or taken here, when the body has ended: what the decoder and parser still held may then
   * be chunks, or the failure of a stream cut short, and next() hands those out).
   */
  [endedNow](): boolean {
    if (this.#failure !== undefined || this.#holding()) return false;
    if (this.#closed) return true;
    if (!hasEndedNow(this.body)) return false;
    this.#drop();
    this.#bodyEnd();
    return this.#failure === undefined && this.#offs.length === 0 && this.#ready.length === 0;
  }

  /** Chunks in hand not yet handed out. */
  #holding(): boolean {
    return this.#fi < this.#offs.length || this.#at < this.#ready.length;
  }

  #inHand(): ChatChunk | undefined {
    const offs = this.#offs;
    const i = this.#fi;
    if (i < offs.length) {
      this.#fi = i + 2;
      return new RawChatChunk(this.#text.slice(offs[i], offs[i + 1]));
    }
    return this.#at < this.#ready.length ? this.#ready[this.#at++] : undefined;
  }

  [readyFrames](): Frames<ChatChunk> | undefined {
    if (this.#fi >= this.#offs.length && !this.#readNow()) return undefined;
    const offs = this.#offs;
    const i = this.#fi;
    const n = offs.length;
    if (i >= n) return undefined;
    this.#fi = n;
    const text = this.#text;
    // The scan cut the run's last payload already (#last), unless the general path queued chunks after it.
    const last = new RawChatChunk(this.#ready.length === 0 ? (this.#last as string) : text.slice(offs[n - 2], offs[n - 1]));
    // `data: ` before the first payload, the blank line after the last
    const from = offs[i] - 6;
    const to = offs[n - 1] + 2;
    return { text: this.#bytes ? this.#bytes.subarray(from, to) : text.slice(from, to), last };
  }

  next(): Promise<IteratorResult<ChatChunk>> {
    const chunk = this[readyNow]();
    if (chunk !== undefined) return Promise.resolve({ value: chunk, done: false });
    if (this.#failure !== undefined) return this.#fail();
    if (this.#closed) return Promise.resolve(DONE);
    return this.#read();
  }

  /** Read the body until a read completes a chunk, the body ends, or it fails: one `then` per read, no async frame. */
  #read(): Promise<IteratorResult<ChatChunk>> {
    this.#drop();
    return this.#readBody();
  }

  #readBody(): Promise<IteratorResult<ChatChunk>> {
    let pending: Promise<IteratorResult<Buffer>>;
    try {
      pending = this.body.next();
    } catch (err) {
      return Promise.reject(this.#bodyFailed(err));
    }
    return pending.then(this.#onRead, this.#onBodyError);
  }

  readonly #onRead = (r: IteratorResult<Buffer>): IteratorResult<ChatChunk> | Promise<IteratorResult<ChatChunk>> => {
    if (r.done) this.#bodyEnd();
    else {
      this.#take(r.value);
      // A read that completed no event (a comment, half an event): read on.
      if (this.#offs.length === 0 && this.#ready.length === 0 && this.#failure === undefined) return this.#readBody();
    }
    const chunk = this.#inHand();
    if (chunk !== undefined) return { value: chunk, done: false };
    if (this.#failure !== undefined) return this.#fail();
    return DONE;
  };

  /** The body ended: what the decoder and the parser held is taken, and a stream cut short fails. */
  #bodyEnd(): void {
    this.#closed = this.#bodyEnded = true;
    this.#take(undefined);
    // Some servers omit [DONE]; a stream that reached its finish_reason is still complete.
    if (this.#failure === undefined && !this.#done && !(this.#last && HAS_FINISH.test(this.#last))) {
      this.#failure = UpstreamError.malformed('the upstream stream ended before it finished (no finish_reason, no [DONE])');
    }
  }

  readonly #onBodyError = (err: unknown): never => {
    throw this.#bodyFailed(err);
  };

  /** The body failed (reset, abort): nothing more comes from it. */
  #bodyFailed(err: unknown): unknown {
    this.#closed = this.#bodyEnded = true;
    return err;
  }

  /** The chunks of the events a read completes (`undefined`: the body's end); the first bad event stops it, kept as the failure. */
  #take(bytes: Buffer | undefined): void {
    try {
      if (bytes === undefined) {
        const text = this.#carry + (this.#decoder?.end() ?? '');
        this.#carry = '';
        if (text === '' && this.#parser === undefined) return;
        const parser = this.#sse();
        this.#general([...parser.feed(text), ...parser.end()]);
        return;
      }
      const scan = this.rewrite === undefined && !this.#done && (this.#parser?.idle ?? true);
      // ASCII bytes are their own text, one for one (and leave the decoder nothing to hold back).
      const own = scan && this.#carry === '' && isAscii(bytes);
      let text = own ? bytes.toString('latin1') : (this.#decoder ??= new StringDecoder('utf8')).write(bytes);
      if (this.#carry !== '') {
        text = this.#carry + text;
        this.#carry = '';
      }
      if (scan && text.indexOf('\r') === -1) this.#scan(text, own ? bytes : undefined);
      else this.#general(this.#sse().feed(text));
    } catch (err) {
      this.#failure = err;
    }
  }

  /**
   * Find the events framed `data: {...}\n\n` from the start of `text` (an event boundary), up to
   * `[DONE]`, the first event framed otherwise (handed with the rest to the general path), or an
   * unfinished event (carried to the next read).
   */
  #scan(text: string, bytes: Buffer | undefined): void {
    // Called only on an empty #offs: a read is taken only when every scanned event was handed out.
    const offs = this.#offs;
    const n = text.length;
    // A payload holding either goes the general way, which knows an error event from a quoted word.
    const errorAt = text.indexOf('"error"');
    const emptyAt = text.indexOf('[]');
    let p = 0;
    while (p < n) {
      const nl = text.indexOf('\n', p);
      if (nl === -1 || nl + 1 === n) break; // unfinished: the line, or the blank line after it
      const start = p + 6;
      if (text.charCodeAt(nl + 1) !== 10 || !text.startsWith('data: ', p)) return this.#handOver(text, p, bytes);
      if (text.charCodeAt(start) === 123 /* { */ && text.charCodeAt(nl - 1) === 125 /* } */ && nl > start + 1) {
        if ((errorAt !== -1 && errorAt < nl) || (emptyAt !== -1 && emptyAt < nl)) return this.#handOver(text, p, bytes);
        offs.push(start, nl);
        p = nl + 2;
        continue;
      }
      if (nl === start + 6 && text.startsWith('[DONE]', start)) {
        this.#done = true;
        p = n;
        break;
      }
      return this.#handOver(text, p, bytes);
    }
    if (p < n) {
      if (n - p > MAX_CARRY) throw UpstreamError.malformed('upstream event stream has a line over 16 MiB');
      this.#carry = p === 0 ? text : text.slice(p);
    }
    this.#scanned(text, bytes);
  }

  /** The scan stopped at `p`: what it found stays ready, the rest of the read goes the general way. */
  #handOver(text: string, p: number, bytes: Buffer | undefined): void {
    this.#scanned(text, bytes);
    this.#general(this.#sse().feed(text.slice(p)));
  }

  #sse(): SseParser {
    return (this.#parser ??= new SseParser());
  }

  #scanned(text: string, bytes: Buffer | undefined): void {
    const offs = this.#offs;
    if (offs.length === 0) return;
    this.#text = text;
    this.#bytes = bytes;
    this.#last = text.slice(offs[offs.length - 2], offs[offs.length - 1]);
  }

  /** The general path: each parsed event checked, and its chunk queued (or the failure kept). */
  #general(events: SseEvent[]): void {
    for (const ev of events) {
      if (this.#done) continue;
      const data = accept(ev);
      if (data === '[DONE]') this.#done = true;
      else if (data !== undefined) {
        this.#last = data;
        this.#ready.push(new RawChatChunk(this.rewrite ? this.rewrite(data) : data));
      }
    }
  }

  /** End with the failure: the body is closed (unless it ended) and nothing follows. */
  #fail(): Promise<never> {
    const err = this.#failure;
    this.#failure = undefined;
    this.#drop();
    this.#closeBody();
    return Promise.reject(err);
  }

  /** Nothing in hand any more. */
  #drop(): void {
    this.#ready = [];
    this.#at = 0;
    this.#offs.length = 0;
    this.#fi = 0;
  }

  #closeBody(): void {
    this.#closed = true;
    if (this.#bodyEnded) return;
    this.#bodyEnded = true;
    void this.body.return?.()?.then(undefined, ignore);
  }

  /** The reader left early: the body is closed (which aborts the upstream request). */
  async return(): Promise<IteratorResult<ChatChunk>> {
    this.#drop();
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
