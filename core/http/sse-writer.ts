import type { ServerResponse } from 'node:http';

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // nginx and friends otherwise buffer the stream
  'x-accel-buffering': 'no',
};

/**
 * Writes server-sent events to a client, batching every event of one tick into a single socket
 * write: an upstream read usually carries several events, and one syscall per event is the
 * largest avoidable cost of proxying a stream.
 */
export class SseWriter {
  #pending = '';
  /** What is queued before #pending when an upstream's own bytes were queued: written in order, in one corked write. */
  #parts: (string | Buffer)[] | undefined;
  #scheduled = false;

  constructor(private readonly res: ServerResponse) {}

  /**
   * Send the status line and headers (they leave with the first batch). `headers` are the ones
   * hooks already set on the reply (CORS, request ids): a hijacked reply would lose them.
   */
  open(headers?: Record<string, unknown>): void {
    this.res.writeHead(200, headers && Object.keys(headers).length ? { ...headers, ...SSE_HEADERS } : SSE_HEADERS);
  }

  /**
   * Queue one `data:` event whose payload is already JSON text. An upstream may spread one event
   * over several `data:` lines, which reach us joined with `\n`; each line must leave as its own
   * `data:` line, or clients read the event cut at the first newline. One scan for `\n` is all the
   * common case pays: the SSE parser turns CR and CRLF into LF, and JSON.stringify escapes both.
   */
  data(json: string): void {
    this.#pending += json.indexOf('\n') === -1 ? `data: ${json}\n\n` : multiline(json);
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /** Queue one named event (`event: <name>`), as the Anthropic and Responses streams send them. */
  event(name: string, json: string): void {
    this.#pending += json.indexOf('\n') === -1 ? `event: ${name}\ndata: ${json}\n\n` : `event: ${name}\n${multiline(json)}`;
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /**
   * Queue events already framed as SSE text (`event:`/`data:` lines, each event ending in a blank
   * line), as an upstream of the same format sent them: a string, or the upstream's UTF-8 bytes.
   */
  frames(text: string | Buffer): void {
    if (typeof text === 'string') this.#pending += text;
    else {
      const parts = (this.#parts ??= []);
      if (this.#pending) parts.push(this.#pending);
      this.#pending = '';
      parts.push(text);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /** True when the client is not keeping up; wait for {@link drained} before producing more. */
  get congested(): boolean {
    return this.res.writableNeedDrain;
  }

  drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.on('drain', done);
      this.res.on('close', done);
    });
  }

  /** Write what is queued now rather than at the end of the tick (the first event: time to first byte). */
  flushNow(): void {
    this.#flush();
  }

  /** End the stream normally: `data: [DONE]`. */
  done(): void {
    this.#end('data: [DONE]\n\n');
  }

  /** End the stream with an error event and no `[DONE]`, so no client mistakes it for complete. */
  fail(errorJson: string): void {
    this.#end(`data: ${errorJson}\n\n`);
  }

  /** End the stream with what is queued (a renderer wrote its own closing events). */
  end(): void {
    this.#end('');
  }

  #end(last: string): void {
    const text = this.#pending + last;
    this.#pending = '';
    if (this.res.destroyed) return;
    if (this.#parts) {
      this.res.cork();
      this.#writeParts();
      this.res.end(text);
      this.res.uncork();
    } else this.res.end(text);
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if ((!this.#pending && !this.#parts) || this.res.writableEnded || this.res.destroyed) return;
    const text = this.#pending;
    this.#pending = '';
    if (this.#parts) {
      this.res.cork();
      this.#writeParts();
      if (text) this.res.write(text);
      this.res.uncork();
    } else this.res.write(text);
  };

  #writeParts(): void {
    const parts = this.#parts as (string | Buffer)[];
    this.#parts = undefined;
    for (const part of parts) this.res.write(part);
  }
}

/** A payload with line breaks as one event of several `data:` lines (as the SSE format joins them). */
function multiline(text: string): string {
  return `data: ${text.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}
