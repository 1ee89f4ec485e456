import type { ChatChunk } from '../contract/openai.js';
import { RawChatChunk } from '../contract/raw.js';

const DELTA = '"delta":{"content":"';
/** `"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t`, `u`: the characters JSON allows after a backslash. */
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74, 0x75]);
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * The end of the JSON string body starting at `from` (the index of its closing quote), or -1 when
 * it holds what JSON does not allow there (a raw control character, a bad escape) or runs past
 * `limit`. The body is then safe to copy into JSON again as it is.
 */
function stringEnd(text: string, from: number, limit: number): number {
  for (let i = from; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i;
    if (c === 0x5c) {
      const e = text.charCodeAt(++i);
      if (!ESCAPES.has(e) || (e === 0x75 && !HEX4.test(text.slice(i + 1, i + 5)))) return -1;
    } else if (c < 0x20) return -1;
  }
  return -1;
}

/**
 * The text of a raw chunk that is nothing but one choice's content delta, found by a string scan,
 * or undefined when the chunk is anything else (then it is parsed). Most chunks of a stream are
 * such deltas, and parsing each costs several times the rest of rendering it. The scan only says
 * yes when it is sure: one delta holding only `content`, no finish reason, no usage. The text is
 * given as it stands inside its JSON string, escapes and all (no quotes): a front door writes it
 * into JSON again as is, without decoding and re-encoding it, so the scan also refuses what JSON
 * does not allow there.
 */
export function plainTextLiteral(chunk: ChatChunk): string | undefined {
  if (!(chunk instanceof RawChatChunk)) return undefined;
  const text = chunk.text;
  const span = literalSpan(text);
  return span === undefined ? undefined : text.slice(span[0], span[1]);
}

/** Where the content literal of a bare content delta starts and ends, as {@link plainTextLiteral} decides it. */
function literalSpan(text: string): [number, number] | undefined {
  const at = text.indexOf(DELTA);
  if (at === -1 || text.indexOf('"delta"') !== at) return undefined;
  const start = at + DELTA.length;
  const end = stringEnd(text, start, text.length);
  if (end === -1 || text.charCodeAt(end + 1) !== 0x7d) return undefined; // more fields in the delta
  const rest = text.slice(end + 2);
  if (rest.includes('"delta"') || rest.includes('"finish_reason":"') || text.includes('"usage":{')) return undefined;
  // Inside a JSON string, `"` and `\` are always escaped, so these keys cannot come from the content.
  return [start, end];
}

/**
 * {@link plainTextLiteral} for the chunks of one stream, faster. An upstream's content deltas
 * differ only in their text: everything before it (id, model, created, the delta's opening) and
 * after it is the same from chunk to chunk. Once a chunk has passed the full scan, a chunk with
 * the same head and tail around a well-formed string body has the same structure, so two
 * comparisons and a scan of the text itself decide it. Anything else takes the full scan, which
 * learns the new head and tail (a `created` that ticks over, a role on the first chunk).
 */
export class TextDeltaScanner {
  #head = '';
  #tail = '';
  /** The finish chunk as the learned delta would have it: the head up to `"delta":`, and the tail around its `"finish_reason":null`. */
  #finishHead = '';
  #finishBefore = '';
  #finishAfter = '';

  literal(chunk: ChatChunk): string | undefined {
    if (!(chunk instanceof RawChatChunk)) return undefined;
    const text = chunk.text;
    const head = this.#head;
    if (head) {
      const end = text.length - this.#tail.length;
      // Equality of slices, not startsWith/endsWith: V8 compares those a character at a time.
      if (end >= head.length && text.slice(0, head.length) === head && text.slice(end) === this.#tail && stringEnd(text, head.length, end + 1) === end) {
        return text.slice(head.length, end);
      }
    }
    const span = literalSpan(text);
    if (span === undefined) return undefined;
    this.#head = text.slice(0, span[0]);
    this.#tail = text.slice(span[1]);
    // vLLM's `stop_reason` (the stop sequence matched) is read from the parsed chunk.
    const at = this.#tail.includes('"stop_reason"') ? -1 : this.#tail.indexOf(NULL_FINISH);
    this.#finishHead = at === -1 ? '' : this.#head.slice(0, -CONTENT_OPEN.length);
    this.#finishBefore = at === -1 ? '' : this.#tail.slice(2, at); // after the content's `"}`
    this.#finishAfter = at === -1 ? '' : this.#tail.slice(at + NULL_FINISH.length);
    return text.slice(span[0], span[1]);
  }

  /**
   * The finish reason of a chunk that is the learned delta with its delta emptied and its
   * `finish_reason` set (`{"delta":{},"finish_reason":"stop"}`, the usual last chunk), found
   * without parsing; undefined for anything else, which is then parsed. The head and the rest are
   * the learned chunk's own text, and the reason is a bare word, so nothing else can differ.
   */
  finish(chunk: ChatChunk): string | undefined {
    const head = this.#finishHead;
    if (!head || !(chunk instanceof RawChatChunk)) return undefined;
    const text = chunk.text;
    const before = this.#finishBefore;
    const after = this.#finishAfter;
    let at = head.length;
    if (text.slice(0, at) !== head || text.slice(at, at + 2) !== '{}' || text.slice(at + 2, at + 2 + before.length) !== before) return undefined;
    at += 2 + before.length;
    if (text.slice(at, at + FINISH_OPEN.length) !== FINISH_OPEN) return undefined;
    at += FINISH_OPEN.length;
    const end = text.length - after.length - 1; // the reason's closing quote
    if (end <= at || end - at > 32 || text.charCodeAt(end) !== 0x22 || text.slice(end + 1) !== after) return undefined;
    const reason = text.slice(at, end);
    return WORD.test(reason) ? reason : undefined;
  }
}

const CONTENT_OPEN = '{"content":"';
const NULL_FINISH = '"finish_reason":null';
const FINISH_OPEN = '"finish_reason":"';
const WORD = /^[a-z_]+$/;
