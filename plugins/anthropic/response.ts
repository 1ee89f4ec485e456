import type { ChatCompletion, CompletionMessage, ToolCall, Usage } from '../../core/index.js';

/** Anthropic's `usage` object (the fields read here). */
export interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  [field: string]: unknown;
}

interface AnthropicBlock {
  type: string;
  text?: string;
  thinking?: string;
  signature?: string;
  data?: string;
  id?: string;
  name?: string;
  input?: unknown;
}

export interface AnthropicMessageBody {
  id: string;
  model: string;
  content?: AnthropicBlock[];
  stop_reason?: string | null;
  usage?: AnthropicUsage;
}

/** `stop_reason` as OpenAI's `finish_reason`. */
export function finishReason(stop: string | null | undefined): string {
  switch (stop) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      return 'stop'; // end_turn, stop_sequence, pause_turn
  }
}

/**
 * Anthropic's usage as OpenAI's: cache writes and reads are input tokens too (Anthropic counts
 * them apart from `input_tokens`), so `prompt_tokens` is their sum; the cache fields stay, and
 * reads are also OpenAI's `prompt_tokens_details.cached_tokens`.
 */
export function toUsage(u: AnthropicUsage): Usage {
  const written = u.cache_creation_input_tokens ?? 0;
  const read = u.cache_read_input_tokens ?? 0;
  const prompt = (u.input_tokens ?? 0) + written + read;
  const completion = u.output_tokens ?? 0;
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (u.cache_creation_input_tokens != null) usage.cache_creation_input_tokens = written;
  if (u.cache_read_input_tokens != null) {
    usage.cache_read_input_tokens = read;
    usage.prompt_tokens_details = { cached_tokens: read };
  }
  return usage;
}

/**
 * A non-stream Anthropic message as a `chat.completion`: text blocks are the content, thinking
 * is `reasoning_content` (and, with signatures, `thinking_blocks` for the client to send back),
 * tool_use blocks are tool calls with their input as a JSON string.
 */
export function toCompletion(m: AnthropicMessageBody, created: number): ChatCompletion {
  const text: string[] = [];
  const reasoning: string[] = [];
  const thinkingBlocks: AnthropicBlock[] = [];
  const tools: ToolCall[] = [];
  for (const b of m.content ?? []) {
    if (b.type === 'text' && typeof b.text === 'string') text.push(b.text);
    else if (b.type === 'thinking') {
      if (typeof b.thinking === 'string') reasoning.push(b.thinking);
      thinkingBlocks.push({ type: 'thinking', thinking: b.thinking ?? '', signature: b.signature ?? '' });
    } else if (b.type === 'redacted_thinking') thinkingBlocks.push({ type: 'redacted_thinking', data: b.data ?? '' });
    else if (b.type === 'tool_use') tools.push({ id: b.id ?? '', type: 'function', function: { name: b.name ?? '', arguments: JSON.stringify(b.input ?? {}) } });
  }
  const message: CompletionMessage = { role: 'assistant', content: text.length || !tools.length ? text.join('') : null };
  if (reasoning.length) message.reasoning_content = reasoning.join('');
  if (thinkingBlocks.length) message.thinking_blocks = thinkingBlocks;
  if (tools.length) message.tool_calls = tools;
  const out: ChatCompletion = {
    id: m.id,
    object: 'chat.completion',
    created,
    model: m.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(m.stop_reason) }],
  };
  if (m.usage) out.usage = toUsage(m.usage);
  return out;
}
