import { randomHex } from '../random-hex.js';
import type { ChatCompletion, CompletionChoice, Usage } from '../../contract/openai.js';
import type { AnthropicUsage, MessageResponse, ResponseBlock, StopReason } from './types.js';

/** `msg_` plus 24 random characters, like Anthropic's ids. */
export const messageId = (): string => `msg_${randomHex(12)}`;

/** `toolu_` ids for tool calls an upstream sent without one. */
export const toolUseId = (): string => `toolu_${randomHex(12)}`;

/**
 * OpenAI's finish_reason as Anthropic's stop_reason. vLLM and friends report the stop string that
 * matched in the choice's `stop_reason`; when it is one the client asked for, it is a stop sequence.
 */
export function stopReasonOf(finish: string | null | undefined, matched: unknown, stopSequences: readonly string[] | undefined): { reason: StopReason; sequence: string | null } {
  switch (finish) {
    case 'length':
      return { reason: 'max_tokens', sequence: null };
    case 'tool_calls':
    case 'function_call':
      return { reason: 'tool_use', sequence: null };
    case 'content_filter':
      return { reason: 'refusal', sequence: null };
    default:
      if (typeof matched === 'string' && stopSequences?.includes(matched)) return { reason: 'stop_sequence', sequence: matched };
      return { reason: 'end_turn', sequence: null };
  }
}

/**
 * OpenAI usage as Anthropic's: `prompt_tokens` includes cached tokens where Anthropic's
 * `input_tokens` excludes them, so the cached ones move to `cache_read_input_tokens`.
 */
export function usageOf(u: Usage | null | undefined): AnthropicUsage {
  if (!u) return { input_tokens: 0, output_tokens: 0 };
  const details = u.prompt_tokens_details as { cached_tokens?: number } | undefined;
  const cached = details?.cached_tokens ?? (u.prompt_cache_hit_tokens as number | undefined) ?? 0;
  const out: AnthropicUsage = { input_tokens: Math.max(0, (u.prompt_tokens ?? 0) - cached), output_tokens: u.completion_tokens ?? 0 };
  if (details?.cached_tokens !== undefined || u.prompt_cache_hit_tokens !== undefined) out.cache_read_input_tokens = cached;
  return out;
}

/** A tool call's arguments as the `input` object Anthropic clients expect. */
export function parseInput(args: string): unknown {
  if (!args) return {};
  try {
    const v: unknown = JSON.parse(args);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
  } catch {
    // A model that wrote broken JSON: keep its text rather than lose it.
    return { _raw_arguments: args };
  }
}

/** A whole completion as an Anthropic message; `model` is the name the client asked for. */
export function toMessage(c: ChatCompletion, model: string, stopSequences: readonly string[] | undefined): MessageResponse {
  const choice: CompletionChoice | undefined = c.choices?.[0];
  const m = choice?.message;
  const content: ResponseBlock[] = [];
  if (m?.reasoning_content) content.push({ type: 'thinking', thinking: m.reasoning_content, signature: '' });
  if (typeof m?.content === 'string' && m.content) content.push({ type: 'text', text: m.content });
  for (const t of m?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: t.id || toolUseId(), name: t.function.name, input: parseInput(t.function.arguments) });
  }
  const stop = stopReasonOf(choice?.finish_reason, (choice as { stop_reason?: unknown } | undefined)?.stop_reason, stopSequences);
  return {
    id: messageId(),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stop.reason,
    stop_sequence: stop.sequence,
    usage: usageOf(c.usage),
  };
}
