import type { ChatChunk } from '../../contract/openai.js';
import { RawChatChunk } from '../../contract/raw.js';

const DELTA = '"delta":{"content":"';

/**
 * The text of a raw chunk that is nothing but one choice's content delta, found by a string scan,
 * or undefined when the chunk is anything else (then it is parsed). Most chunks of a stream are
 * such deltas, and parsing each costs several times the rest of rendering it. The scan only says
 * yes when it is sure: one delta holding only `content`, no finish reason, no usage.
 */
export function plainTextDelta(chunk: ChatChunk): string | undefined {
  if (!(chunk instanceof RawChatChunk)) return undefined;
  const text = chunk.text;
  const at = text.indexOf(DELTA);
  if (at === -1 || text.indexOf('"delta"') !== at) return undefined;
  const open = at + DELTA.length - 1;
  let escaped = false;
  let end = open + 1;
  for (; end < text.length; end++) {
    const c = text.charCodeAt(end);
    if (c === 0x5c) {
      escaped = true;
      end++;
    } else if (c === 0x22) break;
  }
  if (end >= text.length || text.charCodeAt(end + 1) !== 0x7d) return undefined; // more fields in the delta
  const rest = text.slice(end + 2);
  if (rest.includes('"delta"') || rest.includes('"finish_reason":"') || text.includes('"usage":{')) return undefined;
  // Inside a JSON string, `"` and `\` are always escaped, so these keys cannot come from the content.
  return escaped ? (JSON.parse(text.slice(open, end + 1)) as string) : text.slice(open + 1, end);
}
