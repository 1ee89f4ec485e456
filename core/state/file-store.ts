/**
 * The `file` state driver: one JSON file, rewritten atomically a little after each burst of
 * changes. A crash at any moment leaves either the previous or the next complete document.
 */
import { chmod, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from '../contract/provider.js';
import { syncDir } from './sync-dir.js';
import { emptyDocument, type StateDocument, type StateStore } from './store.js';
import { DocumentCounters, type HourlyCounters } from './hourly-counters.js';
import type { KeyValueOptions, KeyValueStore } from './key-value.js';

/** The file holds the secrets of credentials added at run time: only its owner may read it. */
const FILE_MODE = 0o600;

export interface FileStoreOptions {
  /** Absolute path of the state file. */
  path: string;
  /** Delay between the first unsaved change and its write. */
  debounceMs: number;
  log: Logger;
}

export async function openFileStore(opts: FileStoreOptions): Promise<FileStore> {
  const dir = dirname(opts.path);
  await mkdir(dir, { recursive: true });
  await removeLeftovers(opts.path);
  const data = await load(opts.path, opts.log);
  await restrict(opts.path, opts.log);
  return new FileStore(opts, data);
}

/** A file an older version wrote (0644) is made private now, not only at the next write. */
async function restrict(path: string, log: Logger): Promise<void> {
  try {
    await chmod(path, FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') log.warn({ path, code }, 'cannot make the state file private (mode 0600): other users may read it');
  }
}

export class FileStore implements StateStore {
  readonly driver = 'file';
  private readonly path: string;
  private readonly tmp: string;
  private readonly debounceMs: number;
  private readonly log: Logger;
  private dirty = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private completed = 0;
  /** Error codes already logged since the last good write, so a full disk logs once, not per request. */
  private readonly reported = new Set<string>();

  constructor(opts: FileStoreOptions, readonly data: StateDocument) {
    this.path = opts.path;
    this.tmp = tempPath(opts.path, process.pid);
    this.debounceMs = opts.debounceMs;
    this.log = opts.log;
  }

  /** Completed writes since open (tests). */
  get writes(): number {
    return this.completed;
  }

  changed(): void {
    if (this.closed) return;
    this.dirty = true;
    // A write in flight reschedules itself when it ends and finds the document dirty.
    if (this.timer === undefined && this.inFlight === undefined) this.schedule();
  }

  /** A folder beside the state file: `data/state.json` keeps responses in `data/state.responses/`. */
  async keyValue(namespace: string, options: KeyValueOptions): Promise<KeyValueStore> {
    const dir = join(dirname(this.path), `${basename(this.path).replace(/\.json$/, '')}.${namespace}`);
    // Loaded when first asked for: only an install that stores responses needs it.
    const { openFileKeyValue } = await import('./file-key-value.js');
    return openFileKeyValue(dir, options, this.log);
  }

  /** In the state document: written with it, after the same debounce. */
  hourlyCounters(namespace: string, retentionMs: number): HourlyCounters {
    return new DocumentCounters(this, namespace, retentionMs);
  }

  async flush(): Promise<void> {
    this.cancelTimer();
    while (this.inFlight !== undefined) {
      await this.inFlight;
      this.cancelTimer();
    }
    if (this.dirty) await this.write();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // Never two writes at once: the one in flight reschedules when it ends.
      if (this.inFlight === undefined) void this.write();
    }, this.debounceMs);
    this.timer.unref();
  }

  private cancelTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Starts one write; callers make sure none is in flight. Never rejects. */
  private write(): Promise<void> {
    this.dirty = false;
    let failed = false;
    const done = writeAtomically(this.path, this.tmp, this.data)
      .then(
        () => {
          this.completed++;
          this.reported.clear();
        },
        (err: unknown) => {
          failed = true;
          this.dirty = true;
          this.report(err);
        },
      )
      .finally(() => {
        this.inFlight = undefined;
        // After a failure, wait for the next change or flush rather than spin on a broken disk.
        if (this.dirty && !failed && !this.closed && this.timer === undefined) this.schedule();
      });
    this.inFlight = done;
    return done;
  }

  private report(err: unknown): void {
    const e = err as NodeJS.ErrnoException;
    const code = e?.code ?? e?.name ?? 'UNKNOWN';
    if (this.reported.has(code)) return;
    this.reported.add(code);
    this.log.error(
      { path: this.path, code, err: e?.message ?? String(err) },
      'state write failed: keeping the changes in memory, will retry on the next change',
    );
  }
}

/** Where a process writes the next version before renaming it over the real file. */
function tempPath(path: string, pid: number): string {
  return join(dirname(path), `${basename(path)}.${pid}.tmp`);
}

/** Temp files of writes that a crash interrupted: they were never renamed, so nothing needs them. */
async function removeLeftovers(path: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir);
  const stale = names.filter(
    (n) => n.startsWith(prefix) && n.endsWith('.tmp') && /^\d+$/.test(n.slice(prefix.length, -'.tmp'.length)),
  );
  await Promise.all(stale.map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

/** Reads the state file; a missing file is a first start, a corrupt one is moved aside. */
async function load(path: string, log: Logger): Promise<StateDocument> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument();
    throw err;
  }
  const checked = parseDocument(text);
  if ('doc' in checked) return checked.doc;
  await quarantine(path, checked.reason, log);
  return emptyDocument();
}

function parseDocument(text: string): { doc: StateDocument } | { reason: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { reason: `not valid JSON (${(err as Error).message})` };
  }
  if (!isPlainObject(value)) return { reason: 'not a JSON object' };
  if (value.version !== 1) {
    return { reason: `unsupported version ${JSON.stringify(value.version)} (this build reads version 1)` };
  }
  const pools = value.pools;
  if (!isPlainObject(pools)) return { reason: '"pools" is not an object' };
  for (const [id, pool] of Object.entries(pools)) {
    if (!isPlainObject(pool)) return { reason: `"pools.${id}" is not an object` };
  }
  return { doc: value as unknown as StateDocument };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keeps the bad file for inspection instead of overwriting it with the next write. */
async function quarantine(path: string, reason: string, log: Logger): Promise<void> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const movedTo = `${path}.corrupt-${stamp}`;
  try {
    await rename(path, movedTo);
  } catch (err) {
    const moveError = (err as NodeJS.ErrnoException).code ?? String(err);
    log.error({ path, reason, moveError }, 'state file is corrupt and could not be moved aside: starting with empty state');
    return;
  }
  log.error({ path, movedTo, reason }, 'state file is corrupt: moved aside, starting with empty state');
}

/** Temp file, fsync, rename, fsync the folder: readers only ever see a whole document. */
async function writeAtomically(path: string, tmp: string, doc: StateDocument): Promise<void> {
  // Serialised before the first await, so the snapshot is the document as of this call.
  const text = JSON.stringify(doc);
  try {
    // Created private, so the renamed file is too (the mode travels with the rename).
    const fh = await open(tmp, 'w', FILE_MODE);
    try {
      await fh.writeFile(text, 'utf8');
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(dirname(path));
}
