import type { Dispatcher } from 'undici';
import { UpstreamError, headerValue, requestUpstream, type CallContext, type GeneratedImage, type ImageStore, type Logger } from '../../core/index.js';
import { readCapped } from './read-capped.js';

/** How a chat answer links its images: our cache, Grok's own URL (needs the account's cookie), or inline. */
export type ImageFormat = 'local_url' | 'grok_url' | 'base64';

export interface ImageOptions {
  format: ImageFormat;
  /** The cache folder, relative to the config file. */
  cacheDir: string;
  maxCacheMb: number;
  /** The public origin links are built on (`https://sb.example.com`); default: the one the client used. */
  baseUrl?: string;
}

/** No generated image is near this; a bigger answer is not an image. */
const MAX_IMAGE_BYTES = 25 * 1024 * 1024;

interface Downloaded {
  bytes: Buffer;
  contentType: string;
}

/**
 * Images Grok generated, fetched from its assets host with the cookies of the account that made
 * them (nobody else may read them) and handed to the client as links into the core's image cache,
 * as Grok's own links, or inline.
 */
export class GeneratedImages {
  #store: Promise<ImageStore> | undefined;

  constructor(
    private readonly assets: { dispatcher: Dispatcher; base: string },
    private readonly options: ImageOptions,
    private readonly openStore: () => Promise<ImageStore>,
    private readonly headers: (call: CallContext) => Record<string, string>,
  ) {}

  /**
   * Open the cache now, so the images an earlier run kept are served from the start. A folder
   * that cannot be made is logged and tried again when an image needs it.
   */
  async warm(log: Logger): Promise<void> {
    if (this.options.format !== 'local_url') return;
    try {
      await this.#open();
    } catch (err) {
      log.warn({ dir: this.options.cacheDir, err: (err as Error).message }, 'cannot open the image cache folder');
    }
  }

  /** Grok's own URL for an image path the stream reported. */
  grokUrl(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.assets.base}/${path.replace(/^\/+/, '')}`;
  }

  /**
   * The links a chat answer shows, per `images.format`. A download that fails leaves Grok's own
   * link (and a warning) rather than failing an answer that is otherwise complete.
   */
  async links(paths: readonly string[], call: CallContext): Promise<string[]> {
    if (this.options.format === 'grok_url') return paths.map((p) => this.grokUrl(p));
    return Promise.all(
      paths.map(async (p) => {
        try {
          const img = await this.download(p, call);
          return this.options.format === 'base64' ? `data:${img.contentType};base64,${img.bytes.toString('base64')}` : await this.#cached(img, call);
        } catch (err) {
          if (call.signal.aborted) throw err;
          call.log.warn({ image: p, err: (err as Error).message }, 'could not keep a generated image: linking to Grok instead');
          return this.grokUrl(p);
        }
      }),
    );
  }

  /** `/v1/images/generations` entries: our cache's links, or the bytes inline (`b64_json`). */
  async generated(paths: readonly string[], call: CallContext, format: 'url' | 'b64_json'): Promise<GeneratedImage[]> {
    if (format === 'url' && this.options.format === 'grok_url') return paths.map((p) => ({ url: this.grokUrl(p) }));
    return Promise.all(
      paths.map(async (p) => {
        const img = await this.download(p, call);
        return format === 'b64_json' ? { b64_json: img.bytes.toString('base64') } : { url: await this.#cached(img, call) };
      }),
    );
  }

  /** The image's bytes, read with the call's account (the assets host refuses anyone else). */
  async download(path: string, call: CallContext): Promise<Downloaded> {
    const url = new URL(this.grokUrl(path));
    const res = await requestUpstream(this.assets.dispatcher, { origin: url.origin, path: url.pathname + url.search, method: 'GET', headers: this.headers(call), signal: call.signal });
    const contentType = (headerValue(res.headers, 'content-type') ?? 'image/jpeg').split(';')[0].trim();
    const bytes = await readCapped(res.body, MAX_IMAGE_BYTES, () => UpstreamError.malformed(`a generated image is larger than ${MAX_IMAGE_BYTES} bytes`));
    if (!contentType.startsWith('image/')) throw UpstreamError.malformed(`Grok's assets host answered ${contentType} for an image`);
    return { bytes, contentType };
  }

  #open(): Promise<ImageStore> {
    return (this.#store ??= this.openStore().catch((err: unknown) => {
      this.#store = undefined; // a folder we could not create may be fixed without a restart
      throw err;
    }));
  }

  async #cached(img: Downloaded, call: CallContext): Promise<string> {
    const store = await this.#open();
    const id = await store.put(img.bytes, img.contentType);
    const base = this.options.baseUrl ?? call.origin;
    if (!base) throw new Error('no public base URL for cached images: set images.baseUrl');
    return store.url(id, base);
  }
}
