import type { ChatChunk } from '../../contract/openai.js';
import { RawChatChunk } from '../../contract/raw.js';

const DELTA = '"delta":{"content":"';
/** `"`, `\\`, `/`, `b`, `f`, `n`, `r`, `t`, `u`: the characters JSON allows after a backslash. */
const ESCAPES = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74, 0x75]);
const HEX4 = /^[0-9a-fA-F]{4}$/;

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
  const at = text.indexOf(DELTA);
  if (at === -1 || text.indexOf('"delta"') !== at) return undefined;
  const open = at + DELTA.length - 1;
  let end = open + 1;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (c === 0x5c) {
      // Only what JSON allows after a backslash is copied on; anything else takes the parsing path.
      const e = text.charCodeAt(++end);
      if (!ESCAPES.has(e) || (e === 0x75 && !HEX4.test(text.slice(end + 1, end + 5)))) return undefined;
    } else if (c === 0x22) break;
    else if (c < 0x20) return undefined; // a raw control character: not JSON
  }
  if (end >= text.length || text.charCodeAt(end + 1) !== 0x7d) return undefined; // more fields in the delta
  const rest = text.slice(end + 2);
  if (rest.includes('"delta"') || rest.includes('"finish_reason":"') || text.includes('"usage":{')) return undefined;
  // Inside a JSON string, `"` and `\` are always escaped, so these keys cannot come from the content.
  return text.slice(open + 1, end);
}
