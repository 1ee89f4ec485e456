import { RawChatChunk, RawJson, jsonText } from '../contract/raw.js';

/** Token counts of one answer, as the upstream reported them. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

const PROMPT = /"prompt_tokens"\s*:\s*(\d+)/;
const COMPLETION = /"completion_tokens"\s*:\s*(\d+)/;

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
  const tail = text.slice(at);
  const p = PROMPT.exec(tail);
  if (!p) return undefined;
  const c = COMPLETION.exec(tail);
  return { promptTokens: Number(p[1]), completionTokens: c ? Number(c[1]) : 0 };
}
