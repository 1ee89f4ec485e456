import { resolve } from 'node:path';
import type { ImageStore, Logger } from '../contract/provider.js';
import { ImageCache, type CachedImage } from './image-cache.js';

/** Where cached images are served (core/http/routes/files.ts), below a public base URL. */
export const IMAGE_PATH = '/v1/files/image/';


/**
 * Every image cache of the app, so one route serves them all. Providers open caches by folder;
 * two providers naming one folder share one cache (with the first opener's size cap).
 */
export class ImageFiles {
  readonly #caches = new Map<string, Promise<ImageCache>>();
  readonly #open: ImageCache[] = [];

  constructor(private readonly log: Logger) {}

  async open(opts: { dir: string; maxBytes: number }): Promise<ImageStore> {
    const dir = resolve(opts.dir);
    let pending = this.#caches.get(dir);
    if (!pending) {
      pending = ImageCache.open(dir, opts.maxBytes, this.log).then((c) => (this.#open.push(c), c));
      this.#caches.set(dir, pending);
    }
    const cache = await pending;
    return { put: (bytes, type) => cache.put(bytes, type), url: imageUrl };
  }

  /** Each open cache: its folder, how many images and bytes it holds, and its cap. */
  caches(): { dir: string; entries: number; bytes: number; maxBytes: number }[] {
    return this.#open.map((c) => ({ dir: c.dir, entries: c.count, bytes: c.size, maxBytes: c.maxBytes }));
  }

  /** Empty every cache; how many images went. */
  clear(): number {
    return this.#open.reduce((n, c) => n + c.clear(), 0);
  }

  /** The cached image with this id, from whichever cache holds it. */
  find(id: string): { cache: ImageCache; image: CachedImage } | undefined {
    for (const cache of this.#open) {
      const image = cache.get(id);
      if (image) return { cache, image };
    }
    return undefined;
  }
}

function imageUrl(id: string, base: string): string {
  return `${base.replace(/\/+$/, '')}${IMAGE_PATH}${id}`;
}
