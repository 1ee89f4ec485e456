import type { ChatChunk } from '../../core/index.js';
import { GrokInBandError, xPostTitle, xPostUrl, type GrokTranslator } from './translate.js';

/** The answer channel; an empty channel is the answer too. */
const ANSWER = 'CHANNEL_ASSISTANT_RESPONSE';
const THINKING = /ANALYSIS|REASONING/i;

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

/** What one gateway frame meant for the turn. */
export type GatewayStep = 'more' | 'done';

/**
 * One server frame of the gateway turn into the translator `t` (chunks go to `out`): answer and
 * thinking text by channel (other channels dropped), search results and citations as sources,
 * finished image cards as images. `response.done` ends the turn; an `error` event, a
 * `stream_error`, a `response.done` that did not complete and an early `session.ended` throw.
 * Field spellings vary between grok.com releases: every one the web app accepts is read here.
 */
export function gatewayFrame(t: GrokTranslator, frame: unknown, out: ChatChunk[]): GatewayStep {
  const event = obj(obj(frame)?.event);
  if (!event) return 'more';
  switch (event.type) {
    case 'response.chunk':
      chunk(t, obj(event.chunk), out);
      return 'more';
    case 'response.output_text.delta':
      if (typeof event.delta === 'string') t.token(event.delta, false, out);
      return 'more';
    case 'response.output_text.done':
      if (typeof event.text === 'string') t.fallback(event.text);
      return 'more';
    case 'response.search.result':
      webPage(t, obj(event.result));
      return 'more';
    case 'response.grok.output':
      output(t, obj(event.output));
      return 'more';
    case 'response.done': {
      const status = obj(event.response)?.status;
      if (status === undefined || status === '' || status === 'completed') return 'done';
      throw new GrokInBandError(undefined, `Grok ended the answer with status ${JSON.stringify(status).slice(0, 40)}`, true);
    }
    default: {
      const failure = gatewayFailure(frame);
      if (failure) throw failure;
      return 'more';
    }
  }
}

/** The failure an `error` event or an early `session.ended` reports, or undefined for any other frame. */
export function gatewayFailure(frame: unknown): Error | undefined {
  const event = obj(obj(frame)?.event);
  if (event?.type === 'error') return inBand(obj(event.error) ?? event);
  if (event?.type === 'session.ended') return Object.assign(new Error('Grok ended the session before the answer was done'), { code: 'ECONNRESET' });
  return undefined;
}

function chunk(t: GrokTranslator, c: Obj | undefined, out: ChatChunk[]): void {
  if (!c) return;
  const text = obj(c.text);
  if (text && typeof text.text === 'string') {
    const channel = typeof text.channel === 'string' ? text.channel : '';
    if (!channel || channel === ANSWER) t.token(text.text, false, out);
    else if (THINKING.test(channel)) t.token(text.text, true, out);
    // any other channel (follow-up suggestions, UI state) is not the answer
  }
  const result = obj(c.tool_result);
  if (result) {
    for (const page of list(obj(result.web_search)?.webpages)) webPage(t, obj(page));
    for (const post of list(obj(result.x_post)?.posts ?? obj(result.x_search)?.posts)) xPost(t, obj(post));
  }
  const citation = obj(c.render_citation);
  if (citation) t.source(str(citation.url), str(citation.title) ?? '');
}

function webPage(t: GrokTranslator, page: Obj | undefined): void {
  if (page) t.source(str(page.url), str(page.title) ?? '');
}

function xPost(t: GrokTranslator, post: Obj | undefined): void {
  const user = str(post?.userhandle) ?? str(post?.username);
  const id = str(post?.post_id) ?? str(post?.postId);
  if (user && id) t.source(xPostUrl(user, id), xPostTitle(user, str(post?.text)));
}

function output(t: GrokTranslator, o: Obj | undefined): void {
  if (!o) return;
  const failed = obj(o.stream_error);
  if (failed) throw inBand(failed);
  for (const card of list(o.card_attachment)) {
    const c = obj(card);
    let data: unknown = c?.jsonData;
    if (typeof data === 'string') {
      try {
        data = JSON.parse(data);
      } catch {
        continue; // a card we cannot read is decoration, not the answer
      }
    }
    const d = obj(data) ?? c;
    const img = obj(d?.image_chunk) ?? obj(d?.imageChunk);
    const url = str(img?.imageUrl) ?? str(img?.image_url);
    if (url && Number(img?.progress ?? 0) >= 100 && img?.moderated !== true) t.image(url);
  }
}

function inBand(e: Obj): GrokInBandError {
  const code = typeof e.code === 'number' || typeof e.code === 'string' ? e.code : undefined;
  return new GrokInBandError(code, str(e.message) ?? 'Grok reported an error', true);
}
