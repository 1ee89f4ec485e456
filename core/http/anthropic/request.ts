import type { ChatMessage, ChatRequest, ContentPart, ToolCall } from '../../contract/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { AnthropicMessage, AnthropicTool, AnthropicToolChoice, ContentBlock, ImageBlock, MessagesRequest, TextBlock, ToolResultBlock } from './types.js';

/**
 * An Anthropic Messages request as the canonical chat request. What OpenAI-format upstreams have
 * no field for is dropped (docs/front-doors.md lists it): `top_k`, `cache_control`, thinking
 * blocks in the history and their signatures, fields this version does not know.
 */
export function toChatRequest(body: MessagesRequest): ChatRequest {
  const messages: ChatMessage[] = [];
  const system = systemText(body);
  if (system !== undefined) messages.push({ role: 'system', content: system });
  body.messages.forEach((m, i) => {
    if (m.role === 'system') return; // folded into the system prompt above
    if (m.role === 'assistant') messages.push(assistantMessage(m, i));
    else messages.push(...userMessages(m, i));
  });

  const out: ChatRequest = { model: body.model, messages };
  const effort = reasoningEffort(body.thinking);
  // Reasoning models refuse max_tokens and count their thinking in max_completion_tokens, as
  // Anthropic counts it in max_tokens; other compatible upstreams know max_tokens best.
  if (effort) {
    out.reasoning_effort = effort;
    out.max_completion_tokens = body.max_tokens;
  } else {
    out.max_tokens = body.max_tokens;
  }
  if (body.stream) {
    out.stream = true;
    // message_start and message_delta carry token counts, so the upstream must send them.
    out.stream_options = { include_usage: true };
  }
  if (body.temperature !== undefined) out.temperature = body.temperature;
  if (body.top_p !== undefined) out.top_p = body.top_p;
  if (body.stop_sequences?.length) out.stop = body.stop_sequences;
  const user = body.metadata?.user_id;
  if (typeof user === 'string' && user) out.user = user;
  if (body.tools?.length) out.tools = body.tools.map(toolOf);
  if (body.tool_choice) applyToolChoice(out, body.tool_choice, Boolean(body.tools?.length));
  const format = body.output_config?.format ?? body.output_format;
  // Not strict: OpenAI's strict mode refuses schemas Anthropic takes (optional properties, say).
  if (format) out.response_format = { type: 'json_schema', json_schema: { name: 'output', schema: format.schema } };
  return out;
}

/** The system prompt: `system` (string or text blocks), then any `role: system` message's text. */
function systemText(body: MessagesRequest): string | undefined {
  const parts: string[] = [];
  if (typeof body.system === 'string') {
    if (body.system) parts.push(body.system);
  } else if (body.system) {
    for (const b of body.system) if (b.text) parts.push(b.text);
  }
  body.messages.forEach((m, i) => {
    if (m.role !== 'system') return;
    if (typeof m.content === 'string') parts.push(m.content);
    else m.content.forEach((b, j) => parts.push(onlyText(b, `messages[${i}].content[${j}]`)));
  });
  return parts.length ? parts.join('\n\n') : undefined;
}

function onlyText(b: ContentBlock, at: string): string {
  if (b.type !== 'text') throw unsupported(`${at}.type`, `'${b.type}' blocks are not accepted in a system message; only 'text' is.`);
  return (b as TextBlock).text;
}

/** Assistant turns: text joined, tool_use blocks as tool calls, thinking dropped. */
function assistantMessage(m: AnthropicMessage, i: number): ChatMessage {
  if (typeof m.content === 'string') return { role: 'assistant', content: m.content };
  const text: string[] = [];
  const calls: ToolCall[] = [];
  m.content.forEach((b, j) => {
    switch (b.type) {
      case 'text':
        text.push((b as TextBlock).text);
        break;
      case 'tool_use':
        calls.push({ id: b.id, type: 'function', function: { name: b.name, arguments: JSON.stringify(b.input ?? {}) } });
        break;
      case 'thinking':
      case 'redacted_thinking':
        break; // OpenAI-format upstreams take no reasoning back; the signature means nothing to them
      default:
        throw unsupported(`messages[${i}].content[${j}].type`, `'${b.type}' blocks are not accepted in an assistant message by this target.`);
    }
  });
  const out: ChatMessage = { role: 'assistant', content: text.length || !calls.length ? text.join('') : null };
  if (calls.length) out.tool_calls = calls;
  return out;
}

/**
 * A user turn: its tool results first, one `tool` message each (OpenAI wants them right after the
 * assistant's calls), then the rest as one user message.
 */
function userMessages(m: AnthropicMessage, i: number): ChatMessage[] {
  if (typeof m.content === 'string') return [{ role: 'user', content: m.content }];
  const out: ChatMessage[] = [];
  const parts: ContentPart[] = [];
  m.content.forEach((b, j) => {
    const at = `messages[${i}].content[${j}]`;
    switch (b.type) {
      case 'text':
        parts.push({ type: 'text', text: (b as TextBlock).text });
        break;
      case 'image':
        parts.push(imagePart(b as ImageBlock));
        break;
      case 'tool_result':
        out.push(toolMessage(b as ToolResultBlock, at, parts));
        break;
      case 'document':
        throw unsupported(at, "'document' blocks are not supported for this target yet (it takes text and images); send the document's text as a 'text' block.");
      default:
        throw unsupported(`${at}.type`, `'${b.type}' blocks are not accepted in a user message by this target.`);
    }
  });
  if (parts.length) out.push({ role: 'user', content: parts.every((p) => p.type === 'text') && parts.length === 1 ? parts[0].text! : parts });
  return out;
}

function imagePart(b: ImageBlock): ContentPart {
  const s = b.source;
  const url = s.type === 'base64' ? `data:${s.media_type};base64,${s.data}` : s.url;
  return { type: 'image_url', image_url: { url } };
}

/**
 * A tool result as a `tool` message. OpenAI's tool messages hold text only, so images in a result
 * go into the user message that follows; `is_error` has no field there and is said in the text.
 */
function toolMessage(b: ToolResultBlock, at: string, parts: ContentPart[]): ChatMessage {
  let text = '';
  if (typeof b.content === 'string') text = b.content;
  else if (b.content) {
    const texts: string[] = [];
    b.content.forEach((c, k) => {
      if (c.type === 'text') texts.push(c.text);
      else if (c.type === 'image') parts.push(imagePart(c));
      else throw unsupported(`${at}.content[${k}].type`, `'${(c as { type: string }).type}' blocks are not supported in a tool result for this target.`);
    });
    text = texts.join('\n');
  }
  if (b.is_error) text = `Error: ${text}`;
  return { role: 'tool', tool_call_id: b.tool_use_id, content: text };
}

function toolOf(t: AnthropicTool, i: number): unknown {
  if (t.type !== undefined && t.type !== 'custom') {
    throw unsupported(`tools[${i}].type`, `Tool type '${t.type}' (a tool Anthropic runs itself) is not supported for this target; only custom tools (name, description, input_schema) are.`);
  }
  const fn: Record<string, unknown> = { name: t.name, parameters: t.input_schema };
  if (t.description !== undefined) fn.description = t.description;
  return { type: 'function', function: fn };
}

function applyToolChoice(out: ChatRequest, c: AnthropicToolChoice, hasTools: boolean): void {
  if (c.type === 'auto') out.tool_choice = 'auto';
  else if (c.type === 'any') out.tool_choice = 'required';
  else if (c.type === 'none') out.tool_choice = 'none';
  else out.tool_choice = { type: 'function', function: { name: c.name } };
  // OpenAI refuses parallel_tool_calls on a request without tools.
  if (c.disable_parallel_tool_use && hasTools) out.parallel_tool_calls = false;
}

/**
 * `thinking.budget_tokens` as an OpenAI reasoning effort. The steps follow Claude Code's budgets:
 * "think" (4 000) is low, "think hard" (10 000) medium, "ultrathink" (31 999) high.
 */
export function reasoningEffort(thinking: MessagesRequest['thinking']): 'low' | 'medium' | 'high' | undefined {
  if (!thinking || thinking.type !== 'enabled') return undefined;
  const budget = thinking.budget_tokens;
  return budget <= 4096 ? 'low' : budget <= 16384 ? 'medium' : 'high';
}

function unsupported(param: string, message: string): GatewayError {
  return new GatewayError('SWB_ERR_UNSUPPORTED_CONTENT', `${param}: ${message}`, { param });
}
