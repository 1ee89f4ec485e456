import type { ServerResponse } from 'node:http';
import type { RequestOutcome } from '../../core/index.js';

/** A finished request as the console's live tail shows it. */
export interface TailRow {
  time: string;
  reqId: string;
  route: string;
  client: string | null;
  model: string;
  provider: string;
  credential: string;
  status: number;
  ms: number;
  ttfbMs: number | null;
  tokensIn: number | null;
  tokensOut: number | null;
  stream: boolean;
  attempts: number;
}

const row = (o: RequestOutcome): TailRow => ({
  time: new Date(o.start).toISOString(),
  reqId: o.reqId,
  route: o.route,
  client: o.client ?? null,
  model: o.model,
  provider: o.provider,
  credential: o.credential,
  status: o.status,
  ms: o.ms,
  ttfbMs: o.ttfbMs ?? null,
  tokensIn: o.tokensIn ?? null,
  tokensOut: o.tokensOut ?? null,
  stream: o.stream,
  attempts: o.attempts,
});

const MAX_WATCHERS = 32;
const HEARTBEAT_MS = 15_000;

/**
 * The last requests, newest first, and the consoles watching them live (server-sent events).
 * A request costs a slot in a ring of outcomes; rows are built only when someone looks.
 */
export class RequestTail {
  readonly #ring: (RequestOutcome | undefined)[];
  #next = 0;
  readonly #watchers = new Set<ServerResponse>();
  #heartbeat: NodeJS.Timeout | undefined;

  constructor(readonly size = 200) {
    this.#ring = new Array<RequestOutcome | undefined>(size);
  }

  readonly record = (o: RequestOutcome): void => {
    this.#ring[this.#next] = o;
    this.#next = (this.#next + 1) % this.size;
    if (!this.#watchers.size) return;
    const event = `data: ${JSON.stringify(row(o))}\n\n`;
    for (const w of this.#watchers) w.write(event);
  };

  recent(): TailRow[] {
    const out: TailRow[] = [];
    for (let i = 1; i <= this.size; i++) {
      const o = this.#ring[(this.#next - i + this.size) % this.size];
      if (o) out.push(row(o));
    }
    return out;
  }

  /** Whether another watcher fits. */
  get full(): boolean {
    return this.#watchers.size >= MAX_WATCHERS;
  }

  /** Send every request from now on to `res` (already answered 200 with event-stream headers). */
  watch(res: ServerResponse): void {
    this.#watchers.add(res);
    res.on('close', () => {
      this.#watchers.delete(res);
      if (!this.#watchers.size && this.#heartbeat) {
        clearInterval(this.#heartbeat);
        this.#heartbeat = undefined;
      }
    });
    // A comment now and then keeps proxies from closing an idle stream.
    this.#heartbeat ??= setInterval(() => {
      for (const w of this.#watchers) w.write(': keep-alive\n\n');
    }, HEARTBEAT_MS).unref();
  }

  /** Shutdown: end every live stream. */
  close(): void {
    for (const w of this.#watchers) w.end();
    this.#watchers.clear();
    if (this.#heartbeat) clearInterval(this.#heartbeat);
  }
}
