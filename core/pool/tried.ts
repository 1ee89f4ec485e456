import type { PoolEntry } from './pool-entry.js';

/**
 * The credentials one request has already tried on one target, and how each went: `fault` (a
 * credential fault: never offered to this request again, or a zero-length cooldown would loop) or
 * `failed` (a transient failure: offered again only when no credential the request has not tried
 * can serve, so a retry gets a fresh credential whenever there is one). The caller creates it on
 * its first failure only.
 */
export type TriedHow = 'fault' | 'failed';
export type Tried = ReadonlyMap<PoolEntry, TriedHow>;
