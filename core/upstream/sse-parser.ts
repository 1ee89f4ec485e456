import { UpstreamError } from './upstream-error.js';

export interface SseEvent {
  /** The `event:` field, when the upstream named the event. */
  event: string | undefined;
  /** The `data:` lines of the event, joined with `\n`. */
  data: string;
}

/** A line this long without a newline is not an event stream. */
const MAX_PENDING = 16 * 1024 * 1024;

/**
 * Incremental parser for `text/event-stream` (WHATWG SSE framing): input may be split anywhere,
 * lines end in `\n`, `\r\n` or `\r`, `:` lines are comments, several `data:` lines make one event,
 * and an event still open when the stream ends is delivered rather than lost. Synchronous, so a
 * provider can run it inside its one async loop without another iterator layer per event.
 */
export class SseParser {
  #rest = '';
  #data: string | undefined;
  #event: string | undefined;
  #trailingCR = false;

  /** Nothing held: no partial line, no open event. Input starting here starts at an event boundary. */
  get idle(): boolean {
    return this.#rest === '' && this.#data === undefined && this.#event === undefined && !this.#trailingCR;
  }

  /** Feed decoded text; returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    const out: SseEvent[] = [];
    let text = chunk;
    if (this.#trailingCR) {
      // a `\r\n` split across two reads: the `\n` ends no second line
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      this.#trailingCR = false;
    }
    if (text.indexOf('\r') !== -1) {
      this.#trailingCR = text.charCodeAt(text.length - 1) === 13;
      text = text.replace(/\r\n?/g, '\n');
    }
    if (this.#rest) text = this.#rest + text;
    let start = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      this.#line(text.slice(start, nl), out);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    this.#rest = start === text.length ? '' : text.slice(start);
    if (this.#rest.length > MAX_PENDING) throw UpstreamError.malformed('upstream event stream has a line over 16 MiB');
    return out;
  }

  /** The stream ended: deliver whatever event was still open. */
  end(): SseEvent[] {
    const out: SseEvent[] = [];
    if (this.#rest) this.#line(this.#rest, out);
    this.#rest = '';
    this.#line('', out);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line.length === 0) {
      if (this.#data !== undefined) out.push({ event: this.#event, data: this.#data });
      this.#data = undefined;
      this.#event = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    else if (field === 'event') this.#event = value;
    // id and retry mean nothing to a one-shot completion stream
  }
}
