import { GatewayError, type ChatRequest } from '../../core/index.js';
import { toAnthropicMessages } from './messages.js';

/** `max_tokens` when the client sets none: Anthropic requires one (docs/providers/anthropic.md). */
export const DEFAULT_MAX_TOKENS = 4096;

/** `reasoning_effort` as a thinking budget in tokens (`none` turns thinking off). */
export const THINKING_BUDGETS: Readonly<Record<string, number>> = { minimal: 1024, low: 2048, medium: 8192, high: 16384, xhigh: 32768 };
/** Anthropic's smallest thinking budget. */
const MIN_BUDGET = 1024;

const bad = (param: string, message: string) => new GatewayError('SWB_ERR_INVALID_VALUE', message, { param });

/**
 * A canonical (OpenAI chat) request as an Anthropic Messages body. Anthropic refuses fields it
 * does not know, so the body is built from what maps; OpenAI-only fields (penalties, `seed`,
 * `logprobs`, `logit_bias`, `service_tier`, `store`, `metadata`...) are dropped (listed in the docs).
 */
export function toMessagesRequest(r: ChatRequest, defaultMaxTokens: number): Record<string, unknown> {
  if (r.n != null && r.n !== 1) throw bad('n', 'n: Anthropic answers one choice per request; n must be 1.');
  const { system, messages } = toAnthropicMessages(r.messages);
  const body: Record<string, unknown> = { model: r.model, messages };
  if (system.length) body.system = system.length === 1 ? system[0].text : system;

  const asked = r.max_completion_tokens ?? r.max_tokens;
  let maxTokens = asked ?? defaultMaxTokens;
  const thinking = thinkingFor(r, asked, maxTokens);
  if (thinking) {
    body.thinking = thinking;
    // Thinking counts towards max_tokens: without a client limit, the answer keeps its default room.
    if (asked == null && typeof thinking.budget_tokens === 'number') maxTokens += thinking.budget_tokens;
  }
  body.max_tokens = maxTokens;

  if (r.stop != null) body.stop_sequences = typeof r.stop === 'string' ? [r.stop] : r.stop;
  if (r.temperature != null) body.temperature = r.temperature;
  if (r.top_p != null) body.top_p = r.top_p;
  if (typeof r.top_k === 'number') body.top_k = r.top_k;
  if (typeof r.user === 'string' && r.user) body.metadata = { user_id: r.user };
  if (r.tools?.length) body.tools = r.tools.map(tool);
  const choice = toolChoice(r.tool_choice, r.parallel_tool_calls === false);
  if (choice && (body.tools || choice.type === 'none')) body.tool_choice = choice;
  const format = outputFormat(r.response_format);
  if (format) body.output_config = { format };
  return body;
}

/**
 * The thinking setting: the client's own Anthropic `thinking` object when it sent one, else
 * `reasoning_effort` as a budget, clamped under the client's `max_tokens` (which, as in OpenAI's
 * reasoning models, covers the thinking too). A limit too small for the minimum budget means no thinking.
 */
function thinkingFor(r: ChatRequest, asked: number | null | undefined, maxTokens: number): Record<string, unknown> | undefined {
  if (r.thinking && typeof r.thinking === 'object') return r.thinking as Record<string, unknown>;
  const effort = r.reasoning_effort;
  if (effort == null || effort === 'none') return undefined;
  const budget = typeof effort === 'string' ? THINKING_BUDGETS[effort] : undefined;
  if (budget === undefined) throw bad('reasoning_effort', `reasoning_effort: one of none, ${Object.keys(THINKING_BUDGETS).join(', ')}.`);
  if (asked == null) return { type: 'enabled', budget_tokens: budget };
  const room = Math.min(budget, maxTokens - 1);
  return room >= MIN_BUDGET ? { type: 'enabled', budget_tokens: room } : undefined;
}

function tool(t: unknown, i: number): Record<string, unknown> {
  const f = (t as { type?: unknown; function?: { name?: unknown; description?: unknown; parameters?: unknown } }) ?? {};
  if (f.type !== 'function' || !f.function || typeof f.function.name !== 'string') {
    throw bad(`tools[${i}]`, `tools[${i}]: only function tools ({"type": "function", "function": {"name": ...}}) can be sent to Anthropic.`);
  }
  const out: Record<string, unknown> = { name: f.function.name, input_schema: f.function.parameters ?? { type: 'object', properties: {} } };
  if (typeof f.function.description === 'string') out.description = f.function.description;
  return out;
}

function toolChoice(c: unknown, serial: boolean): Record<string, unknown> | undefined {
  let out: Record<string, unknown> | undefined;
  if (c === 'auto') out = { type: 'auto' };
  else if (c === 'none') out = { type: 'none' };
  else if (c === 'required') out = { type: 'any' };
  else if (c && typeof c === 'object' && typeof (c as { function?: { name?: unknown } }).function?.name === 'string') {
    out = { type: 'tool', name: (c as { function: { name: string } }).function.name };
  } else if (c != null) throw bad('tool_choice', 'tool_choice: "auto", "none", "required" or {"type": "function", "function": {"name": ...}}.');
  // parallel_tool_calls: false is Anthropic's disable_parallel_tool_use, on the tool choice.
  if (serial) out = { ...(out ?? { type: 'auto' }), disable_parallel_tool_use: true };
  if (out?.type === 'none') delete out.disable_parallel_tool_use;
  return out;
}

/** `json_schema` is Anthropic's structured output; `json_object` (no schema) has no equivalent. */
function outputFormat(f: unknown): Record<string, unknown> | undefined {
  if (f == null) return undefined;
  const type = (f as { type?: unknown }).type;
  if (type === 'text') return undefined;
  const schema = (f as { json_schema?: { schema?: unknown } }).json_schema?.schema;
  if (type === 'json_schema' && schema && typeof schema === 'object') return { type: 'json_schema', schema };
  throw bad('response_format', 'response_format: Anthropic takes "text" or "json_schema" with a schema; "json_object" has no equivalent there.');
}
