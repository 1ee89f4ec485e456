import type { ChatMessage, ChatRequest } from '../../contract/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { customFunction } from './custom-tools.js';
import { appendInput } from './input.js';
import type { ResponsesRequest } from './types.js';

/**
 * A Responses request as the canonical chat request. What chat has no place for (`metadata`,
 * `store`, `include`, `truncation`, `reasoning.summary`) stays with the response object or is
 * dropped, as docs/front-doors.md lists; unknown fields are not forwarded, since a chat
 * upstream would refuse Responses-only ones.
 */

/** Features of the Responses API that need OpenAI's own servers. */
const NOT_SERVED: Record<string, string> = {
  background: "Background responses are not served by Switchboard: send 'background: false' (or leave it out).",
  conversation: "Conversations are OpenAI's server-side objects: use 'previous_response_id' or send the items.",
  prompt: "Stored prompt templates are OpenAI's server-side objects: send 'instructions' and 'input'.",
};

/**
 * Chat fields with the same name and meaning. OpenAI-only hints Codex sends on every request
 * (`prompt_cache_key`, `text.verbosity`, `service_tier`, `safety_identifier`) are not forwarded:
 * strict upstreams refuse fields they do not know, and the answer does not depend on them.
 */
const SAME = ['temperature', 'top_p', 'user', 'top_logprobs'] as const;

function builtIn(type: string, param: string): GatewayError {
  return new GatewayError('SWB_ERR_UNSUPPORTED_TOOL', `The built-in tool '${type}' runs on OpenAI's servers only; Switchboard serves function and custom tools.`, { param });
}

function chatTools(tools: NonNullable<ResponsesRequest['tools']>): unknown[] {
  const names = new Set<string>();
  return tools.map((tool, i) => {
    if (tool.type !== 'function' && tool.type !== 'custom') throw builtIn(tool.type, `tools[${i}].type`);
    if (typeof tool.name !== 'string' || !tool.name) {
      throw new GatewayError('SWB_ERR_MISSING_PARAM', `Missing required parameter: 'tools[${i}].name'.`, { param: `tools[${i}].name` });
    }
    // Upstream both kinds are functions: a shared name could not tell which one was called.
    if (names.has(tool.name)) throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for 'tools[${i}].name': another tool is already named '${tool.name}'.`, { param: `tools[${i}].name` });
    names.add(tool.name);
    if (tool.type === 'custom') return customFunction(tool, `tools[${i}]`);
    const fn: Record<string, unknown> = { name: tool.name };
    if (typeof tool.description === 'string') fn.description = tool.description;
    if (tool.parameters != null) fn.parameters = tool.parameters;
    if (typeof tool.strict === 'boolean') fn.strict = tool.strict;
    return { type: 'function', function: fn };
  });
}

function chatToolChoice(choice: NonNullable<ResponsesRequest['tool_choice']>): unknown {
  if (typeof choice === 'string') return choice;
  // A custom tool is a function upstream, so choosing it is choosing that function.
  if (choice.type === 'function' || choice.type === 'custom') return { type: 'function', function: { name: choice.name } };
  if (choice.type === 'allowed_tools') {
    const tools = Array.isArray(choice.tools) ? (choice.tools as { type: string; name?: string }[]) : [];
    return {
      type: 'allowed_tools',
      allowed_tools: {
        mode: choice.mode,
        tools: tools.map((t, i) => {
          if (t?.type !== 'function' && t?.type !== 'custom') throw builtIn(String(t?.type), `tool_choice.tools[${i}].type`);
          return { type: 'function', function: { name: t.name } };
        }),
      },
    };
  }
  throw builtIn(choice.type, 'tool_choice.type');
}

function responseFormat(format: NonNullable<NonNullable<ResponsesRequest['text']>['format']>): unknown {
  if (format.type === 'json_object') return { type: 'json_object' };
  if (format.type !== 'json_schema') return undefined;
  const json_schema: Record<string, unknown> = { name: format.name, schema: format.schema };
  if (format.description !== undefined) json_schema.description = format.description;
  if (format.strict != null) json_schema.strict = format.strict;
  return { type: 'json_schema', json_schema };
}

/**
 * Build the chat request. `history` is an earlier conversation (`previous_response_id`), put
 * between this request's instructions and its input: instructions are not carried over, as OpenAI.
 */
export function toChatRequest(body: ResponsesRequest, history: readonly ChatMessage[] = []): ChatRequest {
  for (const field of Object.keys(NOT_SERVED)) {
    if (body[field] != null && body[field] !== false) throw new GatewayError('SWB_ERR_INVALID_VALUE', NOT_SERVED[field], { param: field });
  }
  const messages: ChatMessage[] = [];
  if (typeof body.instructions === 'string' && body.instructions) messages.push({ role: 'system', content: body.instructions });
  messages.push(...history);
  if (body.input !== undefined) appendInput(messages, body.input);
  if (!messages.some((m) => m.role !== 'system' && m.role !== 'developer')) {
    throw new GatewayError('SWB_ERR_MISSING_PARAM', "Missing required parameter: 'input'.", { param: 'input' });
  }
  const chat: ChatRequest = { model: body.model, messages };
  if (body.stream) {
    chat.stream = true;
    // response.completed always carries usage, so it is asked for.
    chat.stream_options = { include_usage: true };
  }
  for (const field of SAME) if (body[field] != null) (chat as Record<string, unknown>)[field] = body[field];
  if (body.top_logprobs != null) chat.logprobs = true;
  if (body.max_output_tokens != null) chat.max_tokens = body.max_output_tokens;
  if (body.tools?.length) {
    chat.tools = chatTools(body.tools);
    // OpenAI refuses parallel_tool_calls without tools.
    if (body.parallel_tool_calls != null) chat.parallel_tool_calls = body.parallel_tool_calls;
  }
  if (body.tool_choice != null) chat.tool_choice = chatToolChoice(body.tool_choice);
  const format = body.text?.format && responseFormat(body.text.format);
  if (format) chat.response_format = format;
  if (body.reasoning?.effort != null) chat.reasoning_effort = body.reasoning.effort;
  return chat;
}
