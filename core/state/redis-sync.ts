/**
 * Keeps this instance's state document and the shared one in Redis in step: every tick one Lua
 * script sends what changed here (counters as deltas, so instances' counts add up; values, where
 * the latest write wins) and brings back the hashes another instance changed since we last
 * looked (each hash carries a version, `_v`). Nothing on a request's path waits for it.
 *
 * Sending is idempotent: a call that timed out here may still run on Redis (a stall, not a loss),
 * so an unanswered batch is sent again as it was, under its id, and Redis skips an id it applied.
 */
import { randomUUID } from 'node:crypto';
import { diffFields, mergeFields, type FieldOp, type Fields } from './field-merge.js';
import { documentHashes, loadHash, type SharedHash } from './shared-document.js';
import type { StateDocument } from './store.js';
import type { SyncingRedis } from './sync-script.js';

/** The index of every hash (name -> what it holds), read at start-up. */
export const INDEX_KEY = 'i';

type Reply = [number, number, string[]?];
type HashSpec = [number, [string, string] | 0, FieldOp[], number, FieldOp[]?];

interface Base {
  fields: Fields;
  version: number;
  /** Resets seen: counts made under an older epoch are dropped by Redis. */
  epoch: number;
}

/**
 * One script call as sent. Until Redis answers it, it is sent again exactly so (same id, same
 * ops): Redis may have run it with the reply lost, and skips an id it has applied.
 */
interface Batch {
  id: number;
  hashes: SharedHash[];
  spec: HashSpec[];
  /** Each hash's copy the ops were taken from (undefined: only asked about). */
  sent: (Fields | undefined)[];
  /** Whether ops went with the hash: once answered, `sent` is what Redis holds of it. */
  wrote: boolean[];
  /** It sends copies whole to Redis that lost them (a hash still lost after it waits for the next run). */
  seeds: boolean;
}

function withDefaults(defaults: Fields, fields: Fields | undefined): Fields {
  return fields ? new Map([...defaults, ...fields]) : defaults;
}

/** A flat HGETALL reply as fields, without the version and epoch. */
function fieldsOf(flat: string[]): Base {
  const fields: Fields = new Map();
  let version = 0;
  let epoch = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    if (flat[i] === '_v') version = Number(flat[i + 1]) || 0;
    else if (flat[i] === '_e') epoch = Number(flat[i + 1]) || 0;
    else fields.set(flat[i], flat[i + 1]);
  }
  return { fields, version, epoch };
}

/** Every so many runs all hashes are compared, not only those said to have changed. */
const FULL_EVERY = 10;

export class DocumentSync {
  readonly #bases: Map<string, Base>;
  #running: Promise<void> | undefined;
  #queued: Promise<void> | undefined;
  /** What changed here since the last run: records by credential, providers as a whole, or all. */
  /** provider -> credentials whose records changed. */
  #touched = new Map<string, Set<string>>();
  #touchedProviders = new Set<string>();
  #touchedAll = true;
  #runs = 0;
  /** Where Redis records the last batch of this instance it applied (see SYNC_LUA). */
  readonly #appliedKey = `s:${randomUUID()}`;
  #lastId = 0;
  /** A batch sent but not answered: sent again, unchanged, before anything new. */
  #pending: Batch | undefined;

  private constructor(
    private readonly client: SyncingRedis,
    readonly data: StateDocument,
    bases: Map<string, Base>,
    private readonly onError: (err: Error) => void,
  ) {
    this.#bases = bases;
  }

  /**
   * Something changed here: a credential's record (and its provider's estimates), a whole
   * provider, or (nothing named) anything. Only what changed is laid out and compared at the next
   * run; the rest is just asked about. A full comparison every FULL_EVERY runs catches a change
   * nobody named.
   */
  touched(provider?: string, credential?: string): void {
    if (provider === undefined) this.#touchedAll = true;
    else if (credential === undefined) this.#touchedProviders.add(provider);
    else {
      let set = this.#touched.get(provider);
      if (!set) this.#touched.set(provider, (set = new Set()));
      set.add(credential);
    }
  }

  /** Told when a sync brought another instance's change to a provider's credentials. */
  onCredentials: (provider: string) => void = () => undefined;

  /** Read the whole document (start-up). Throws when Redis cannot be read. */
  static async open(client: SyncingRedis, data: StateDocument, onError: (err: Error) => void): Promise<DocumentSync> {
    const index = await client.hgetall(INDEX_KEY);
    const names = Object.keys(index);
    const bases = new Map<string, Base>();
    if (names.length) {
      const pipe = client.pipeline();
      for (const name of names) pipe.hgetall(name);
      const replies = (await pipe.exec()) ?? [];
      names.forEach((name, i) => {
        const [err, raw] = replies[i] ?? [];
        if (err || !raw) return;
        const flat = Object.entries(raw as Record<string, string>).flat();
        const base = fieldsOf(flat);
        if (loadHash(data, index[name], base.fields)) bases.set(name, base);
      });
    }
    return new DocumentSync(client, data, bases, onError);
  }

  /**
   * Send what changed here and take in what changed elsewhere. Calls made while one runs share
   * the next run, which starts after it (so it sees every change made before the call).
   */
  run(): Promise<void> {
    if (this.#queued) return this.#queued;
    const after = this.#running ?? Promise.resolve();
    const next: Promise<void> = after.then(() => {
      this.#queued = undefined;
      this.#running = next;
      return this.#once();
    });
    const done = next.finally(() => {
      if (this.#running === next) this.#running = undefined;
    });
    this.#queued = next;
    return done;
  }

  async #once(): Promise<void> {
    // Only after Redis has answered the last batch is a new one built: its ops are what changed
    // since the copy that batch sent, so sending it before would count that batch's part twice.
    if (this.#pending && !(await this.#send(this.#pending, true))) return;
    const batch = this.#build();
    if (batch) await this.#send(batch, false);
  }

  /** This run's batch: what changed here since the last answered one, and a question about the rest. */
  #build(): Batch | undefined {
    const hashes = documentHashes(this.data, (p) => this.onCredentials(p));
    if (hashes.length === 0) return undefined;
    const all = this.#touchedAll || ++this.#runs % FULL_EVERY === 0;
    const [touched, providers] = [this.#touched, this.#touchedProviders];
    this.#touched = new Map();
    this.#touchedProviders = new Set();
    this.#touchedAll = false;
    // Untouched hashes are only asked about: nothing laid out, nothing sent.
    const isTouched = (h: SharedHash) => {
      if (all || providers.has(h.provider)) return true;
      const creds = touched.get(h.provider);
      return h.kind === 'r' ? creds?.has(h.credential!) === true : h.kind === 'a' && creds !== undefined;
    };
    const sent = hashes.map((h) => (isTouched(h) ? h.fields() : undefined));
    const ops = hashes.map((h, i) => (sent[i] ? this.#ops(h, sent[i]) : []));
    const spec = hashes.map((h, i): HashSpec => {
      const base = this.#bases.get(h.name);
      // The index entry is written only with ops: a hash that is just asked about sends none.
      return [base?.version ?? 0, ops[i].length ? [h.name, h.meta()] : 0, ops[i], base?.epoch ?? 0];
    });
    return { id: ++this.#lastId, hashes, spec, sent, wrote: ops.map((o) => o.length > 0), seeds: false };
  }

  /** Send a batch and take in the answer; false (and the batch kept for next time) when Redis did not answer. */
  async #send(batch: Batch, again: boolean): Promise<boolean> {
    this.#pending = batch;
    let reply: Reply[];
    try {
      reply = await this.client.swbSync(2 + batch.hashes.length, INDEX_KEY, this.#appliedKey, ...batch.hashes.map((h) => h.name), JSON.stringify(batch.spec), String(batch.id));
    } catch (err) {
      this.onError(err as Error);
      this.#touchedAll = true; // after an outage, the batch that follows compares everything once
      return false;
    }
    this.#pending = undefined;
    // A batch from an earlier run: the document may hold new objects under those names since.
    const hashes = again ? this.#live(batch.hashes) : batch.hashes;
    const lost: number[] = [];
    hashes.forEach((h, i) => {
      if (reply[i]?.[0] === -1) lost.push(i);
      else if (h) this.#take(h, reply[i], batch.sent[i], batch.wrote[i]);
    });
    if (lost.length === 0 || batch.seeds) return true;
    // Redis lost them: send these copies whole (see SYNC_LUA), as a batch of its own.
    const seeded = lost.flatMap((i) => {
      const h = hashes[i];
      if (!h) return [];
      const [version, , delta, epoch] = batch.spec[i];
      const whole = (batch.sent[i] ??= h.fields());
      return [{ h, sent: whole, spec: [version, [h.name, h.meta()], delta, epoch, diffFields(whole, h.defaults, (f) => h.isCounter(f))] as HashSpec }];
    });
    if (seeded.length === 0) return true;
    return this.#send(
      { id: ++this.#lastId, hashes: seeded.map((x) => x.h), spec: seeded.map((x) => x.spec), sent: seeded.map((x) => x.sent), wrote: seeded.map(() => true), seeds: true },
      false,
    );
  }

  /** The document's current hashes under these names (undefined: gone since). */
  #live(hashes: SharedHash[]): (SharedHash | undefined)[] {
    const now = new Map(documentHashes(this.data, (p) => this.onCredentials(p)).map((h) => [h.name, h]));
    return hashes.map((h) => now.get(h.name));
  }

  /** One hash's answer: the shared copy merged with what changed here since `sent` was taken. */
  #take(h: SharedHash, reply: Reply | undefined, sent: Fields | undefined, wrote: boolean): void {
    const [version, epoch, flat] = reply ?? [];
    if (version === undefined || epoch === undefined) return;
    if (flat) {
      const shared = fieldsOf(flat).fields;
      const local = h.fields();
      // A hash only asked about is measured from the shared copy last seen: what changed here
      // while the batch was on its way (or waiting to be answered) is kept, not overwritten.
      const from = sent ?? withDefaults(h.defaults, this.#bases.get(h.name)?.fields);
      h.adopt(mergeFields(shared, from, local, (f) => h.isCounter(f)));
      this.#bases.set(h.name, { fields: shared, version, epoch });
    } else if (wrote) this.#bases.set(h.name, { fields: sent!, version, epoch });
  }

  /** What to send for one hash: a reset and all of it when it was reset here, else what changed. */
  #ops(h: SharedHash, local: Fields): FieldOp[] {
    const base = this.#bases.get(h.name);
    const counter = (f: string) => h.isCounter(f);
    if (h.resetField !== undefined && local.has(h.resetField) && local.get(h.resetField) !== base?.fields.get(h.resetField)) {
      return [['r'], ...diffFields(local, h.defaults, counter)];
    }
    // A field the shared copy lacks holds its default: an instance's untouched defaults are not
    // news, and must not overwrite what another instance wrote.
    return diffFields(local, withDefaults(h.defaults, base?.fields), counter);
  }
}
