import { UpstreamError, type ChatChunk, type ChunkChoice } from '../../core/index.js';

export type ThinkingMode = 'reasoning_content' | 'inline' | 'hide';

export interface TranslateOptions {
  thinking: ThinkingMode;
  /** Tokens carrying one of these tags (case-insensitive) are dropped: Grok's UI markup. */
  filteredTags: readonly string[];
  /** Append the web and X search results Grok used as a `## Sources` list. */
  showSearchSources?: boolean;
}

interface WebResult {
  url?: string;
  title?: string;
}
interface XResult {
  username?: string;
  postId?: string;
  text?: string;
}
type Results<T> = { results?: T[] } | T[] | undefined;
const listOf = <T>(r: Results<T>): T[] => (Array.isArray(r) ? r : (r?.results ?? []));

/**
 * An error Grok reported inside the stream (`{"error":{code,message}}`): an UpstreamError without
 * a status, so it carries a quota read (`quota`) to the classifier like a 429 does.
 */
export class GrokInBandError extends UpstreamError {
  constructor(
    readonly code: number | string | undefined,
    message: string,
    /** It came over the chat gateway, where no statsig header is sent (the advice differs). */
    readonly gateway = false,
  ) {
    super(message);
    this.name = 'GrokInBandError';
  }
}

interface Response {
  token?: string;
  isThinking?: boolean;
  isSoftStop?: boolean;
  messageTag?: string;
  cardAttachment?: { jsonData?: string };
  streamingImageGenerationResponse?: { imageUrl?: string; progress?: number; moderated?: boolean; isFinal?: boolean };
  modelResponse?: { message?: string; generatedImageUrls?: string[]; webSearchResults?: Results<WebResult> };
  webSearchResults?: Results<WebResult>;
  xSearchResults?: Results<XResult>;
  finalMetadata?: Record<string, unknown>;
  error?: { code?: number | string; message?: string };
}

/** Where an X post lives, and how the sources list names it. */
export const xPostUrl = (user: string, postId: string) => `https://x.com/${encodeURIComponent(user)}/status/${encodeURIComponent(postId)}`;
export const xPostTitle = (user: string, text: string | undefined) => `@${user}: ${(text ?? '').slice(0, 80)}`;

/** Message tags that never reach a client: tool plumbing, not the answer. */
const HIDDEN_TAGS = new Set(['tool_usage_card', 'raw_function_result']);

/**
 * Turns Grok's NDJSON frames (one JSON object per line: `result.response` with a token, a
 * thinking flag, images or the final model response) into OpenAI chunks: answer
 * tokens as `content`, thinking as `reasoning_content` (or inline `<think>`, or nothing), UI
 * markup dropped, generated images collected and appended as markdown at the end.
 */
export class GrokTranslator {
  /** The answer text so far (for the usage estimate and a non-stream fold). */
  text = '';
  reasoning = '';
  readonly images: string[] = [];
  /** Search results the answer drew on, by URL (title or post text), when sources are shown. */
  readonly sources = new Map<string, string>();
  done = false;
  #inThink = false;
  #sawToken = false;
  #fallbackMessage: string | undefined;
  readonly #filtered: RegExp | undefined;

  constructor(
    private readonly base: { id: string; created: number; model: string },
    private readonly opts: TranslateOptions,
  ) {
    const tags = opts.filteredTags.filter(Boolean).map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.#filtered = tags.length ? new RegExp(`<\\/?(?:${tags.join('|')})\\b`, 'i') : undefined;
  }

  /** The chunks one frame turns into (often none). Throws GrokInBandError for an in-band error. */
  frame(f: unknown): ChatChunk[] {
    const top = f as { error?: Response['error']; result?: { response?: Response } & Response };
    if (top?.error) throw new GrokInBandError(top.error.code, top.error.message ?? 'Grok reported an error');
    const r: Response | undefined = top?.result?.response ?? (top?.result?.modelResponse ? top.result : undefined);
    if (!r) return [];
    if (r.error) throw new GrokInBandError(r.error.code, r.error.message ?? 'Grok reported an error');
    const out: ChatChunk[] = [];
    if (typeof r.token === 'string' && !HIDDEN_TAGS.has(r.messageTag ?? '')) this.token(r.token, Boolean(r.isThinking), out);
    if (r.cardAttachment?.jsonData) this.#card(r.cardAttachment.jsonData);
    if (this.opts.showSearchSources) this.#sources(r);
    const img = r.streamingImageGenerationResponse;
    if (img?.imageUrl && (img.progress ?? 0) >= 100 && !img.moderated) this.image(img.imageUrl);
    if (r.modelResponse) {
      for (const u of r.modelResponse.generatedImageUrls ?? []) this.image(u);
      if (typeof r.modelResponse.message === 'string') this.fallback(r.modelResponse.message);
    }
    if (r.isSoftStop || (r.finalMetadata && Object.keys(r.finalMetadata).length)) this.done = true;
    return out;
  }

  /** A piece of the answer (or of its thinking) into `out`, unless it is UI markup. */
  token(token: string, thinking: boolean, out: ChatChunk[]): void {
    if (!token || this.#filtered?.test(token)) return;
    this.#sawToken = true;
    if (thinking) this.#thinking(token, out);
    else this.#answer(token, out);
  }

  /** The whole answer, used only when no token of it streamed. */
  fallback(text: string): void {
    this.#fallbackMessage = text;
  }

  /** A source the answer drew on (shown with `showSearchSources`); only web URLs are kept. */
  source(url: string | undefined, title: string): void {
    if (this.opts.showSearchSources && url && /^https?:\/\//.test(url) && !this.sources.has(url)) this.sources.set(url, title);
  }

  /** A generated image (its URL or asset path), linked at the end. */
  image(url: string): void {
    if (!this.images.includes(url)) this.images.push(url);
  }

  /**
   * The closing chunks: a model answer never streamed as tokens, the generated images as markdown
   * (`links`: where the client opens each of `images`, in order), the finish.
   */
  finish(links: readonly string[] = []): ChatChunk[] {
    const out: ChatChunk[] = [];
    if (this.#inThink) this.#closeThink(out);
    if (!this.#sawToken && this.#fallbackMessage) this.#answer(this.#fallbackMessage, out);
    if (this.sources.size) {
      const list = [...this.sources].map(([url, title]) => `- [${title.replace(/[[\]\n]/g, ' ').trim() || url}](${url})`).join('\n');
      this.#answer(`${this.text ? '\n\n' : ''}## Sources\n${list}`, out);
    }
    if (links.length) {
      const md = links.map((u) => `![image](${u})`).join('\n');
      this.#answer(this.text ? `\n\n${md}` : md, out);
    }
    out.push(this.#chunk({}, 'stop'));
    return out;
  }

  #thinking(token: string, out: ChatChunk[]): void {
    this.reasoning += token;
    if (this.opts.thinking === 'hide') return;
    if (this.opts.thinking === 'reasoning_content') {
      out.push(this.#chunk({ reasoning_content: token } as ChunkChoice['delta']));
      return;
    }
    const open = this.#inThink ? '' : '<think>\n';
    this.#inThink = true;
    this.text += open + token;
    out.push(this.#chunk({ content: open + token }));
  }

  #answer(token: string, out: ChatChunk[]): void {
    if (this.#inThink) this.#closeThink(out);
    this.text += token;
    out.push(this.#chunk({ content: token }));
  }

  #closeThink(out: ChatChunk[]): void {
    this.#inThink = false;
    this.text += '\n</think>\n';
    out.push(this.#chunk({ content: '\n</think>\n' }));
  }

  #card(json: string): void {
    let card: { image_chunk?: { imageUrl?: string; progress?: number; moderated?: boolean } };
    try {
      card = JSON.parse(json) as typeof card;
    } catch {
      return; // a card we cannot read is decoration, not the answer
    }
    const c = card.image_chunk;
    if (c?.imageUrl && (c.progress ?? 0) >= 100 && !c.moderated) this.image(c.imageUrl);
  }

  #sources(r: Response): void {
    for (const w of [...listOf(r.webSearchResults), ...listOf(r.modelResponse?.webSearchResults)]) this.source(w?.url, w?.title ?? '');
    for (const x of listOf(r.xSearchResults)) if (x?.username && x.postId) this.source(xPostUrl(x.username, x.postId), xPostTitle(x.username, x.text));
  }

  #chunk(delta: ChunkChoice['delta'], finish: ChunkChoice['finish_reason'] = null): ChatChunk {
    return { ...this.base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] };
  }
}
