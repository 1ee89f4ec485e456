import { StringDecoder } from 'node:string_decoder';
import { UpstreamError } from './upstream-error.js';

export interface NdjsonOptions {
  /** Who sent the stream, for the error messages (`Grok`); default `the upstream`. */
  source?: string;
  /** A line longer than this (characters) without its newline ends the stream as malformed. */
  maxLineChars?: number;
}

/** A line this long without a newline is not a JSON-lines stream (as SseParser's bound). */
const MAX_LINE_CHARS = 16 * 1024 * 1024;

/**
 * Incremental reader for NDJSON / JSON lines (one JSON value per line): input may be split
 * anywhere, lines end in `\n` or `\r\n`, blank lines are skipped, and the habits of servers that
 * half-speak SSE are tolerated (a `data:` prefix, a closing `[DONE]`). A line that is not JSON
 * throws a SyntaxError, which the core reads as a malformed answer. Synchronous, like SseParser,
 * so a provider runs it inside its one async loop without an iterator layer per value.
 *
 * Feed it either decoded text or the body's bytes (decoded here as UTF-8), not both.
 */
export class NdjsonParser {
  #rest = '';
  #decoder: StringDecoder | undefined;
  readonly #source: string;
  readonly #maxLine: number;

  constructor(options: NdjsonOptions = {}) {
    this.#source = options.source ?? 'the upstream';
    this.#maxLine = options.maxLineChars ?? MAX_LINE_CHARS;
  }

  /** The values of the lines `chunk` completed (with what was held back before it), in order. */
  feed(chunk: string | Buffer): unknown[] {
    const text = typeof chunk === 'string' ? chunk : (this.#decoder ??= new StringDecoder('utf8')).write(chunk);
    const out: unknown[] = [];
    const all = this.#rest ? this.#rest + text : text;
    let start = 0;
    let nl = all.indexOf('\n');
    while (nl !== -1) {
      this.#line(all.slice(start, nl), out);
      start = nl + 1;
      nl = all.indexOf('\n', start);
    }
    this.#rest = start === 0 ? all : all.slice(start);
    if (this.#rest.length > this.#maxLine) throw UpstreamError.malformed(`${this.#source} sent a line over ${this.#maxLine} characters`);
    return out;
  }

  /** The stream ended: the value of a last line without its newline, if any. */
  end(): unknown[] {
    const out: unknown[] = [];
    const tail = this.#decoder?.end();
    const last = tail ? this.#rest + tail : this.#rest;
    this.#rest = '';
    this.#line(last, out);
    return out;
  }

  #line(raw: string, out: unknown[]): void {
    let line = raw.trim();
    if (line.startsWith('data:')) line = line.slice(5).trim();
    if (line.length === 0 || line === '[DONE]') return;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new SyntaxError(`${this.#source} sent a line that is not JSON: ${line.slice(0, 200)}`);
    }
  }
}
