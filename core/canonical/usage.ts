import { RawChatChunk, RawJson, jsonText } from '../contract/raw.js';

/** Token counts of one answer, as the upstream reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/**
 * Token counts from an answer or a stream's last chunk, for the stats. Raw answers are not parsed
 * for this: the `usage` object sits at the end, so a search from its key is enough.
 */
export function usageOf(value: unknown): TokenUsage | undefined {
  if (value === null || value === undefined) return undefined;
  if (value instanceof RawJson || value instanceof RawChatChunk) return usageInText(jsonText(value));
  const u = (value as { usage?: { prompt_tokens?: number; completion_tokens?: number } | null }).usage;
  if (!u) return undefined;
  return { promptTokens: u.prompt_tokens ?? 0, completionTokens: u.completion_tokens ?? 0 };
}

function usageInText(text: string): TokenUsage | undefined {
  const at = text.lastIndexOf('"usage"');
  if (at === -1) return undefined;
  const prompt = countAfter(text, '"prompt_tokens"', at);
  if (prompt === undefined) return undefined;
  return { promptTokens: prompt, completionTokens: countAfter(text, '"completion_tokens"', at) ?? 0 };
}

/**
 * The whole number after the first `key` from `from` on that is followed by `: <digits>` (JSON
 * whitespace allowed around the colon): what `/"key"\s*:\s*(\d+)/` finds, without the regexp's
 * match array and the slice it ran on.
 */
function countAfter(text: string, key: string, from: number): number | undefined {
  for (let k = text.indexOf(key, from); k !== -1; k = text.indexOf(key, k + 1)) {
    let i = skipSpace(text, k + key.length);
    if (text.charCodeAt(i) !== 58 /* : */) continue;
    i = skipSpace(text, i + 1);
    const start = i;
    let n = 0;
    for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) n = n * 10 + (c - 48);
    if (i > start) return n;
  }
  return undefined;
}

function skipSpace(text: string, i: number): number {
  for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  return i;
}
