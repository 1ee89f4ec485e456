import { randomBytes } from 'node:crypto';

// Ids are drawn from a pool of random bytes, each byte used once: one randomBytes call per few
// hundred ids rather than one per id (each call is a trip into OpenSSL and a getpid, about as
// much as the rest of rendering a short answer).
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let used = 0;

/** `bytes` fresh random bytes as hex, for ids clients see (`msg_…`, `resp_…`, `toolu_…`). */
export function randomHex(bytes: number): string {
  if (used + bytes > pool.length) {
    pool = randomBytes(Math.max(POOL_BYTES, bytes));
    used = 0;
  }
  return pool.toString('hex', used, (used += bytes));
}
