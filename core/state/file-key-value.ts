import { constants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../contract/provider.js';
import { syncDir } from './sync-dir.js';
import { checkKey, KEY_SHAPE, type KeyValueOptions, type KeyValueStore } from './key-value.js';
import { CHUNK, copyRange, replay, type Entry } from './documents-log.js';

/**
 * The `file` driver's key-value store: one append-only log in a private folder next to the state
 * file. A save is a record appended at the end, and the saves of a few milliseconds share one
 * write (the first waits briefly for company; while a write is on its way the next ones queue),
 * so a busy server pays one system call for many responses, not a file each. An index of keys
 * (record position, save time, oldest first) lives in memory, so a read is one positioned read,
 * and expiry and the size cap drop keys without touching the disk. When dead records (replaced,
 * deleted, expired, evicted) outweigh the live ones, the live ones are copied into a new log,
 * synced, and renamed over the old one; saves go on meanwhile, and what they appended is copied
 * last, with appends held only for that.
 *
 * Records, one after the other:
 *   `+<key> <saved at, ms> <value bytes>\n<value>\n`   a document
 *   `-<key>\n`                                       a deletion
 * Expiry is the save time plus the TTL (so a changed `ttlHours` applies at the next start too),
 * and at open the log is replayed in order with the same cap and expiry rules. A crash mid-append
 * leaves a cut record at the end: replay stops there and cuts it off. Appends are not synced (a
 * process crash keeps them, a power cut may lose the last ones); compaction is, before its
 * rename, so it never trades the whole store for a shorter one.
 */
export const LOG_NAME = 'documents.log';
/** Below this the log is not worth compacting, whatever its share of dead records. */
const COMPACT_MIN_BYTES = 1 << 20;
/**
 * How long a first save waits for company before its write starts: under load, the saves of this
 * window share one write. A client that continues at once is served from memory meanwhile.
 */
const BATCH_MS = 10;

/** The open log; replaced by compaction, closed once no read still uses it. */
interface Segment {
  fh: FileHandle;
  readers: number;
  retired: boolean;
}

/** A save or deletion not yet written. Reads see the newest one for its key first. */
interface Op {
  key: string;
  value: string | null;
  /** A document moved in from an earlier version's file keeps that file's age. */
  savedAt?: number;
}

export async function openFileKeyValue(dir: string, options: KeyValueOptions, log: Logger, now: () => number = Date.now): Promise<FileKeyValue> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => undefined);
  const legacy: { key: string; path: string; mtime: number }[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    if (name.endsWith('.tmp')) {
      await unlink(path).catch(() => undefined); // a write or compaction cut short
      continue;
    }
    // One file per document, as earlier versions kept them: moved into the log below.
    const key = name.endsWith('.json') ? name.slice(0, -5) : '';
    if (!KEY_SHAPE.test(key)) continue;
    try {
      legacy.push({ key, path, mtime: (await stat(path)).mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  const path = join(dir, LOG_NAME);
  const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
  await fh.chmod(0o600).catch(() => undefined);
  const kv = new FileKeyValue(dir, options, log, now, fh, await replay(fh, path, options, log, now));
  if (legacy.length) await kv.adopt(legacy.sort((a, b) => a.mtime - b.mtime));
  return kv;
}

export class FileKeyValue implements KeyValueStore {
  readonly #path: string;
  #segment: Segment;
  /** Bytes in the log, and those of records still in the index. */
  #size: number;
  #live: number;
  readonly #index: Map<string, Entry>;
  readonly #queued = new Map<string, Op>();
  #ops: Op[] = [];
  #waiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  #writing: Promise<void> | undefined;
  /** The append on its way, a compaction's hold on the next ones, and the compaction running. */
  #appending: Promise<void> | undefined;
  #paused: Promise<void> | undefined;
  #compaction: Promise<void> | undefined;
  #closed = false;
  #compactFailedAt = 0;

  constructor(
    private readonly dir: string,
    private readonly options: KeyValueOptions,
    private readonly log: Logger,
    private readonly now: () => number,
    fh: FileHandle,
    state: { index: Map<string, Entry>; size: number; live: number },
  ) {
    this.#path = join(dir, LOG_NAME);
    this.#segment = { fh, readers: 0, retired: false };
    this.#index = state.index;
    this.#size = state.size;
    this.#live = state.live;
  }

  async get(key: string): Promise<string | undefined> {
    const op = this.#queued.get(key);
    if (op) return op.value ?? undefined;
    const e = this.#index.get(key);
    if (!e) return undefined;
    if (e.savedAt + this.options.ttlMs <= this.now()) {
      this.#forget(key, e); // replay drops it too: no record needed
      return undefined;
    }
    const segment = this.#segment; // taken with the entry, before any await: compaction moves both at once
    segment.readers++;
    try {
      const buf = Buffer.allocUnsafe(e.length);
      const { bytesRead } = await segment.fh.read(buf, 0, e.length, e.offset);
      return buf.toString('utf8', 0, bytesRead);
    } finally {
      if (--segment.readers === 0 && segment.retired) void segment.fh.close().catch(() => undefined);
    }
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    return this.#enqueue({ key, value });
  }

  async delete(key: string): Promise<boolean> {
    const op = this.#queued.get(key);
    const e = this.#index.get(key);
    if (op ? op.value === null : !e) return false;
    await this.#enqueue({ key, value: null });
    return true;
  }

  /** Write what is queued, then close the log; later writes fail. */
  async close(): Promise<void> {
    while (this.#writing || this.#compaction) await (this.#writing ?? this.#compaction);
    if (this.#closed) return;
    this.#closed = true;
    this.#segment.retired = true;
    if (this.#segment.readers === 0) await this.#segment.fh.close();
  }

  /** Documents kept one file each (earlier versions) join the log, with their age, and their files go. */
  async adopt(files: { key: string; path: string; mtime: number }[]): Promise<void> {
    const deadline = this.now() - this.options.ttlMs;
    const writes: Promise<void>[] = [];
    const done: string[] = [];
    for (const f of files) {
      if (f.mtime > deadline) {
        try {
          writes.push(this.#enqueue({ key: f.key, value: await readFile(f.path, 'utf8'), savedAt: Math.floor(f.mtime) }));
        } catch (err) {
          this.log.warn({ key: f.key, code: (err as NodeJS.ErrnoException).code }, 'cannot move a stored document into the log; its file stays');
          continue;
        }
      }
      done.push(f.path);
    }
    try {
      await Promise.all(writes); // one batch, not a write per file
    } catch (err) {
      this.log.warn({ dir: this.dir, code: (err as NodeJS.ErrnoException).code }, 'cannot move stored documents into the log; their files stay for the next start');
      return;
    }
    for (const path of done) await unlink(path).catch(() => undefined);
  }

  #enqueue(op: Op): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the key-value store is closed'));
    this.#queued.set(op.key, op);
    this.#ops.push(op);
    return new Promise((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  // One write at a time, each taking everything queued when it starts.
  async #drain(): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, BATCH_MS));
    while (this.#ops.length) {
      // A compaction swapping logs holds appends for the moment it takes.
      while (this.#paused) await this.#paused;
      const ops = this.#ops;
      const waiters = this.#waiters;
      this.#ops = [];
      this.#waiters = [];
      try {
        this.#appending = this.#append(ops);
        await this.#appending;
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err as Error);
      } finally {
        this.#appending = undefined;
        for (const op of ops) if (this.#queued.get(op.key) === op) this.#queued.delete(op.key);
      }
      // Compaction runs beside the appends, not before the next one: saves that waited behind its
      // copy and sync would pile up in memory and outlive the young generation.
      if (!this.#compaction && this.#size >= Math.max(COMPACT_MIN_BYTES, this.#compactFailedAt * 2) && this.#size - this.#live > this.#live) {
        this.#compaction = this.#compact()
          .catch((err: Error) => {
            this.#compactFailedAt = this.#size; // not again before the log doubles: a full disk warns now and then, not per save
            this.log.warn({ path: this.#path, code: (err as NodeJS.ErrnoException).code, err: err.message }, 'cannot compact the stored documents log; it keeps growing until a compaction succeeds');
          })
          .finally(() => (this.#compaction = undefined));
      }
    }
    this.#writing = undefined;
  }

  async #append(ops: Op[]): Promise<void> {
    // The batch as one text, encoded once: a buffer per record and part cost more, in
    // allocations and in the writev's own checks, than the bytes. Headers are ASCII (keys are
    // checked), so their lengths in characters are their lengths in bytes.
    let text = '';
    const placed: (Entry | undefined)[] = [];
    const now = Math.floor(this.now());
    let pos = this.#size;
    for (const op of ops) {
      if (op.value === null) {
        const header = `-${op.key}\n`;
        text += header;
        placed.push(undefined);
        pos += header.length;
        continue;
      }
      const length = Buffer.byteLength(op.value, 'utf8');
      const savedAt = op.savedAt ?? now;
      const header = `+${op.key} ${savedAt} ${length}\n`;
      text += `${header}${op.value}\n`;
      placed.push({ start: pos, offset: pos + header.length, length, savedAt });
      pos += header.length + length + 1;
    }
    try {
      const buf = Buffer.from(text, 'utf8');
      if (buf.length !== pos - this.#size) throw new Error('the stored documents batch did not encode to its measured length');
      const { bytesWritten } = await this.#segment.fh.write(buf, 0, buf.length, this.#size);
      if (bytesWritten !== pos - this.#size) throw new Error(`short write to the stored documents log (${bytesWritten} of ${pos - this.#size} bytes)`);
    } catch (err) {
      // What part of it landed would be read back as a cut record: take it off, if the disk lets us.
      await this.#segment.fh.truncate(this.#size).catch(() => undefined);
      throw err;
    }
    this.#size = pos;
    ops.forEach((op, i) => {
      const old = this.#index.get(op.key);
      if (old) this.#forget(op.key, old);
      const e = placed[i];
      if (e) {
        this.#index.set(op.key, e);
        this.#live += e.offset + e.length + 1 - e.start;
        // Record by record, as replay applies it, so a restart keeps the same documents.
        if (this.#index.size > this.options.maxEntries) {
          const [oldest, o] = this.#index.entries().next().value!;
          this.#forget(oldest, o);
        }
      }
    });
    this.#expire();
  }

  /** Drop, from the index only, what expired, oldest first. */
  #expire(): void {
    const deadline = this.now() - this.options.ttlMs;
    for (const [key, e] of this.#index) {
      if (e.savedAt > deadline) break;
      this.#forget(key, e);
    }
  }

  #forget(key: string, e: Entry): void {
    this.#index.delete(key);
    this.#live -= e.offset + e.length + 1 - e.start;
  }

  /**
   * Copy the live records into a new log, sync it and rename it over the old one. The records
   * live when it starts are copied (runs of neighbours in one read each) and synced while appends
   * go on to the old log; then appends pause while what they added meanwhile is copied too (not
   * synced, as appends never are) and the new log takes the old one's place.
   */
  async #compact(): Promise<void> {
    const tmp = `${this.#path}.${process.pid}.tmp`;
    const out = await open(tmp, constants.O_RDWR | constants.O_CREAT | constants.O_TRUNC, 0o600);
    const from = this.#segment.fh;
    const since = this.#size; // records from here on are appended during the copy
    const live = [...this.#index.values()];
    const moved: [Entry, number][] = [];
    let release: (() => void) | undefined;
    try {
      let pos = 0;
      let run: Entry[] = [];
      const copy = async () => {
        if (!run.length) return;
        const start = run[0].start;
        const end = run.at(-1)!.offset + run.at(-1)!.length + 1;
        await copyRange(from, out, start, end - start, pos);
        for (const e of run) moved.push([e, pos + e.start - start]);
        pos += end - start;
        run = [];
      };
      for (const e of live) {
        const last = run.at(-1);
        if (last && (last.offset + last.length + 1 !== e.start || e.offset + e.length - run[0].start > CHUNK)) await copy();
        run.push(e);
      }
      await copy();
      await out.sync();

      this.#paused = new Promise<void>((r) => (release = r));
      while (this.#appending) await this.#appending.catch(() => undefined); // its failure is its own waiters'
      const tail = this.#size - since;
      await copyRange(from, out, since, tail, pos);
      await rename(tmp, this.#path);
      // From here on the new log is the log: entries and handle change together, with no await
      // between. What was appended during the copy first (old positions from `since` on; every
      // copied record stands before it), then the copied records.
      for (const e of this.#index.values()) {
        if (e.start < since) continue;
        e.offset += pos - since;
        e.start += pos - since;
      }
      for (const [e, start] of moved) {
        e.offset += start - e.start;
        e.start = start;
      }
      let liveBytes = 0;
      for (const e of this.#index.values()) liveBytes += e.offset + e.length + 1 - e.start;
      const old = this.#segment;
      old.retired = true;
      if (old.readers === 0) void old.fh.close().catch(() => undefined);
      this.#segment = { fh: out, readers: 0, retired: false };
      this.#size = pos + tail;
      this.#live = liveBytes;
      this.#compactFailedAt = 0;
    } catch (err) {
      await out.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    } finally {
      this.#paused = undefined;
      release?.();
    }
    await syncDir(this.dir);
  }
}

