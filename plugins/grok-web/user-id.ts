import { UpstreamError } from '../../core/index.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The canonical (lowercase) form of a UUID, or undefined for anything else. */
export function canonicalUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID.test(value.trim()) ? value.trim().toLowerCase() : undefined;
}

/** The `x-userid` a whole-cookie credential carries (the browser's Cookie header has it). */
export function cookieUserId(cookie: string): string | undefined {
  const m = /(?:^|;\s*)x-userid=([^;]+)/.exec(cookie);
  return m ? canonicalUuid(decodeURIComponent(m[1])) : undefined;
}

interface Session {
  status?: string;
  session?: { userId?: unknown };
  user?: { id?: unknown; userId?: unknown; sub?: unknown };
  id?: unknown;
  userId?: unknown;
  sub?: unknown;
}

/**
 * The account's id in `GET /api/auth/session`: the first UUID among the places grok.com has kept
 * it. An unauthenticated or blocked session is a dead credential (as a 401 is).
 */
export function sessionUserId(body: unknown): string {
  const s = (body ?? {}) as Session;
  if (s.status === 'unauthenticated' || s.status === 'blocked') {
    throw new UpstreamError(`Grok says the account's session is ${s.status}`, { status: 401, body: JSON.stringify({ status: s.status }) });
  }
  for (const v of [s.session?.userId, s.user?.id, s.user?.userId, s.user?.sub, s.id, s.userId, s.sub]) {
    const id = canonicalUuid(v);
    if (id) return id;
  }
  throw UpstreamError.malformed('Grok answered the session lookup without a user id');
}

/**
 * Each account's user id (the WebSocket gateway's `uid`), by secret: from the credential's own
 * cookie when it has `x-userid`, else looked up once and kept. A lookup in flight is shared by
 * the turns that wait for it (so it runs on its own timeout, not one client's signal), and
 * `forget` drops an id a 401 may have made stale, so the next turn reads it again.
 */
export class UserIds {
  readonly #ids = new Map<string, Promise<string>>();

  constructor(private readonly lookup: (secret: string) => Promise<string>) {}

  get(secret: string, cookie: string): Promise<string> {
    const own = cookieUserId(cookie);
    if (own) return Promise.resolve(own);
    let id = this.#ids.get(secret);
    if (!id) {
      id = this.lookup(secret);
      this.#ids.set(secret, id);
      // A failed lookup is not kept: the next turn asks again.
      id.catch(() => {
        if (this.#ids.get(secret) === id) this.#ids.delete(secret);
      });
    }
    return id;
  }

  forget(secret: string): void {
    this.#ids.delete(secret);
  }
}
