/**
 * A folder of images a provider downloaded for its clients, capped in size, oldest-used evicted
 * first. Files are named `<id>.<ext>`: the id is 128 random bits (unguessable, so serving them
 * without auth leaks nothing), the extension keeps the content type across restarts.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Logger } from '../contract/provider.js';

const TYPES: Record<string, string> = { jpg: 'image/jpeg', png: 'image/png', webp: 'image/webp', gif: 'image/gif' };
const EXTENSIONS: Record<string, string> = { 'image/jpeg': 'jpg', 'image/jpg': 'jpg', 'image/png': 'png', 'image/webp': 'webp', 'image/gif': 'gif' };

/** What a cached image id looks like; anything else is not ours and never touches the disk. */
export const IMAGE_ID = /^[A-Za-z0-9_-]{22}\.(?:jpg|png|webp|gif)$/;

export interface CachedImage {
  /** Absolute path of the file. */
  file: string;
  contentType: string;
  size: number;
}

/** The extension a content type is stored under, or undefined when it is not an image we keep. */
export function imageExtension(contentType: string | undefined): string | undefined {
  return EXTENSIONS[(contentType ?? '').split(';')[0].trim().toLowerCase()];
}

export class ImageCache {
  readonly #entries: LRUCache<string, CachedImage>;

  private constructor(
    readonly dir: string,
    readonly maxBytes: number,
    private readonly log: Logger,
  ) {
    this.#entries = new LRUCache<string, CachedImage>({
      maxSize: maxBytes,
      sizeCalculation: (v) => Math.max(1, v.size),
      // Evicted or deleted: the file goes too. A failed unlink only leaves a file the next start
      // counts again, so it is logged, not thrown.
      dispose: (v, _id, reason) => {
        if (reason === 'evict' || reason === 'delete') unlink(v.file).catch((err: NodeJS.ErrnoException) => err.code !== 'ENOENT' && this.log.warn({ err: err.message }, 'could not delete an evicted image'));
      },
    });
  }

  /** Open (creating) the folder and take in what an earlier run left there, least recently used first. */
  static async open(dir: string, maxBytes: number, log: Logger): Promise<ImageCache> {
    // Private: the images are what clients asked for. The folder is the cache's own (it deletes
    // files there), so one an older version created 0755 is made private too.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700).catch((err: NodeJS.ErrnoException) => log.warn({ dir, code: err.code }, 'cannot make the image cache folder private (mode 0700)'));
    const cache = new ImageCache(dir, maxBytes, log);
    const found: { id: string; image: CachedImage; used: number }[] = [];
    for (const name of await readdir(dir)) {
      const file = join(dir, name);
      if (name.endsWith('.tmp')) {
        await unlink(file).catch(() => undefined); // a write a crash interrupted
        continue;
      }
      if (!IMAGE_ID.test(name)) continue;
      const s = await stat(file).catch(() => undefined);
      if (!s?.isFile()) continue;
      found.push({ id: name, image: { file, contentType: TYPES[name.slice(name.lastIndexOf('.') + 1)], size: s.size }, used: s.mtimeMs });
    }
    found.sort((a, b) => a.used - b.used);
    for (const f of found) cache.#entries.set(f.id, f.image);
    return cache;
  }

  /** Store an image; resolves to its id once the file is complete on disk. */
  async put(bytes: Buffer, contentType: string): Promise<string> {
    // The LRU would refuse to hold it, leaving a file nobody tracks.
    if (bytes.length > this.maxBytes) throw new Error(`an image of ${bytes.length} bytes does not fit a cache of ${this.maxBytes}`);
    const ext = imageExtension(contentType) ?? 'jpg';
    const id = `${randomBytes(16).toString('base64url')}.${ext}`;
    const file = join(this.dir, id);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, bytes, { mode: 0o600 });
    await rename(tmp, file); // never serve half a file
    this.#entries.set(id, { file, contentType: TYPES[ext], size: bytes.length });
    return id;
  }

  /** The image by id (and it counts as used), or undefined when unknown or evicted. */
  get(id: string): CachedImage | undefined {
    return IMAGE_ID.test(id) ? this.#entries.get(id) : undefined;
  }

  /** Forget an image whose file went missing under us. */
  forget(id: string): void {
    this.#entries.delete(id);
  }

  /** Drop every image (their files go too); how many there were. */
  clear(): number {
    const n = this.#entries.size;
    this.#entries.clear();
    return n;
  }

  /** Bytes held now. */
  get size(): number {
    return this.#entries.calculatedSize;
  }

  get count(): number {
    return this.#entries.size;
  }
}
