/**
 * The console's login sessions: a random token in an HttpOnly cookie, known here only by its
 * SHA-256 (a leaked state file or Redis dump opens no session), with its CSRF token and its
 * expiry. Kept where the state driver keeps documents, so a restart keeps people logged in and,
 * under Redis, every instance behind a load balancer knows every session.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { KeyValueStore } from '../state/key-value.js';
import type { StateStore } from '../state/store.js';

export const SESSION_COOKIE = 'swb_admin';
const MAX_SESSIONS = 1000;

export interface AdminSession {
  csrfToken: string;
  /** Epoch ms. */
  expires: number;
}

const idOf = (token: string): string => hash('sha256', token, 'hex');

export class AdminSessions {
  #kv: Promise<KeyValueStore> | undefined;
  #ttlMs = 0;

  constructor(private readonly store: StateStore) {}

  /** The console is on: sessions last `ttlMs` from login. */
  enable(ttlMs: number): void {
    this.#ttlMs = ttlMs;
    this.#kv ??= this.store.keyValue('admin-sessions', { ttlMs, maxEntries: MAX_SESSIONS });
  }

  get enabled(): boolean {
    return this.#kv !== undefined;
  }

  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** A new session: the token goes in the cookie, the CSRF token to the page. */
  async create(now: number): Promise<{ token: string; session: AdminSession }> {
    const kv = await this.#store();
    const token = randomBytes(32).toString('base64url');
    const session = { csrfToken: randomBytes(24).toString('base64url'), expires: now + this.#ttlMs };
    await kv.set(idOf(token), JSON.stringify(session));
    return { token, session };
  }

  /** The live session of this cookie value, or undefined (unknown, expired, malformed). */
  async find(token: string, now: number): Promise<AdminSession | undefined> {
    if (!this.#kv || !/^[A-Za-z0-9_-]{43}$/.test(token)) return undefined;
    const text = await (await this.#kv).get(idOf(token));
    if (!text) return undefined;
    try {
      const s = JSON.parse(text) as AdminSession;
      return typeof s.csrfToken === 'string' && typeof s.expires === 'number' && s.expires > now ? s : undefined;
    } catch {
      return undefined;
    }
  }

  async end(token: string): Promise<void> {
    if (this.#kv && /^[A-Za-z0-9_-]{43}$/.test(token)) await (await this.#kv).delete(idOf(token));
  }

  async close(): Promise<void> {
    if (this.#kv) await (await this.#kv).close();
  }

  #store(): Promise<KeyValueStore> {
    if (!this.#kv) throw new Error('admin sessions are not enabled');
    return this.#kv;
  }
}

/** Whether `presented` is the session's CSRF token, in constant time. */
export function csrfMatches(session: AdminSession, presented: unknown): boolean {
  if (typeof presented !== 'string') return false;
  const a = Buffer.from(session.csrfToken);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
