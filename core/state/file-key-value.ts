import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../contract/provider.js';
import { checkKey, KEY_SHAPE, type KeyValueOptions, type KeyValueStore } from './key-value.js';

/**
 * The `file` driver's key-value store: a private folder next to the state file, one file per key
 * (written to a temp file and renamed, so a crash leaves the old or the new document). Expiry is
 * the file's mtime plus the TTL, and the index of keys by age is read once at open, so no request
 * lists the folder.
 */
export async function openFileKeyValue(dir: string, options: KeyValueOptions, log: Logger, now: () => number = Date.now): Promise<FileKeyValue> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700).catch(() => undefined);
  const found: { key: string; mtime: number }[] = [];
  for (const name of await readdir(dir)) {
    const key = name.endsWith('.json') ? name.slice(0, -5) : '';
    const path = join(dir, name);
    if (!KEY_SHAPE.test(key)) {
      if (name.endsWith('.tmp')) await unlink(path).catch(() => undefined); // a write cut short
      continue;
    }
    try {
      found.push({ key, mtime: (await stat(path)).mtimeMs });
    } catch {
      // gone meanwhile
    }
  }
  found.sort((a, b) => a.mtime - b.mtime);
  const kv = new FileKeyValue(dir, options, log, now, new Map(found.map((f) => [f.key, f.mtime + options.ttlMs])));
  await kv.prune();
  return kv;
}

export class FileKeyValue implements KeyValueStore {
  constructor(
    private readonly dir: string,
    private readonly options: KeyValueOptions,
    private readonly log: Logger,
    private readonly now: () => number,
    /** key -> expiry, oldest first */
    private readonly index: Map<string, number>,
  ) {}

  #path(key: string): string {
    return join(this.dir, `${key}.json`);
  }

  async get(key: string): Promise<string | undefined> {
    const expires = this.index.get(key);
    if (expires === undefined) return undefined;
    if (expires <= this.now()) {
      await this.delete(key);
      return undefined;
    }
    try {
      return await readFile(this.#path(key), 'utf8');
    } catch {
      this.index.delete(key);
      return undefined;
    }
  }

  async set(key: string, value: string): Promise<void> {
    checkKey(key);
    const path = this.#path(key);
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, value, { mode: 0o600 });
    await rename(tmp, path);
    this.index.delete(key);
    this.index.set(key, this.now() + this.options.ttlMs);
    await this.prune();
  }

  async delete(key: string): Promise<boolean> {
    if (!this.index.delete(key)) return false;
    await unlink(this.#path(key)).catch(() => undefined);
    return true;
  }

  /** Drop what expired and what is over the cap, oldest first. */
  async prune(): Promise<void> {
    const now = this.now();
    for (const [key, expires] of this.index) {
      if (expires > now && this.index.size <= this.options.maxEntries) break;
      this.index.delete(key);
      await unlink(this.#path(key)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') this.log.warn({ key, code: err.code }, 'cannot delete an expired stored document');
      });
    }
  }
}
