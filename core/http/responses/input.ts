import type { ChatMessage, ContentPart, ToolCall } from '../../contract/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { customToolCall } from './custom-tools.js';
import type { InputItem, InputPart } from './types.js';

/**
 * Responses `input` items to canonical chat messages. A Responses conversation is a flat list
 * (message, function_call, function_call_output, reasoning, ...); chat nests tool calls inside the
 * assistant message that made them, so consecutive calls join the assistant message before them.
 */

/** Item types of OpenAI's hosted tools: only OpenAI runs them, so a chat target cannot continue them. */
const HOSTED_ITEMS = new Set([
  'web_search_call', 'file_search_call', 'computer_call', 'computer_call_output', 'image_generation_call',
  'code_interpreter_call', 'local_shell_call', 'local_shell_call_output', 'shell_call', 'shell_call_output',
  'apply_patch_call', 'apply_patch_call_output', 'mcp_list_tools', 'mcp_approval_request',
  'mcp_approval_response', 'mcp_call', 'tool_search_call',
]);

const ROLES = new Set(['user', 'assistant', 'system', 'developer']);

const invalid = (param: string, message: string) => new GatewayError('SWB_ERR_INVALID_VALUE', message, { param });

function requireString(item: InputItem, field: string, at: string): string {
  const value = item[field];
  if (typeof value === 'string') return value;
  const param = `${at}.${field}`;
  if (value === undefined) return fail(new GatewayError('SWB_ERR_MISSING_PARAM', `Missing required parameter: '${param}'.`, { param }));
  return fail(new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${param}': expected a string.`, { param }));
}

function fail(e: GatewayError): never {
  throw e;
}

/** A user, system or developer message's part as a chat content part. */
function inputPart(part: InputPart, at: string): ContentPart {
  if (typeof part !== 'object' || part === null) throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}': expected an object.`, { param: at });
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      if (typeof part.text !== 'string') throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}.text': expected a string.`, { param: `${at}.text` });
      return { type: 'text', text: part.text };
    case 'input_image': {
      if (typeof part.image_url !== 'string') {
        throw invalid(part.file_id ? `${at}.file_id` : `${at}.image_url`, part.file_id
          ? "Images by 'file_id' need OpenAI's file store, which Switchboard does not have: send 'image_url' (a data: URL works)."
          : `Missing required parameter: '${at}.image_url'.`);
      }
      const image_url: { url: string; detail?: string } = { url: part.image_url };
      if (typeof part.detail === 'string' && part.detail !== 'auto') image_url.detail = part.detail;
      return { type: 'image_url', image_url };
    }
    case 'input_file': {
      const file: Record<string, unknown> = {};
      if (typeof part.file_data === 'string') file.file_data = part.file_data;
      else if (typeof part.file_id === 'string') file.file_id = part.file_id;
      else throw invalid(`${at}.file_data`, `'${at}' needs 'file_data' (or 'file_id' for an OpenAI upstream).`);
      if (typeof part.filename === 'string') file.filename = part.filename;
      return { type: 'file', file };
    }
    default:
      throw invalid(`${at}.type`, `Invalid value for '${at}.type': expected one of input_text, input_image, input_file, output_text.`);
  }
}

/** All-text content as one string (what every chat upstream accepts), else the parts. */
function chatContent(parts: ContentPart[]): string | ContentPart[] {
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => p.text).join('\n');
  return parts;
}

function messageOf(item: InputItem, at: string): ChatMessage {
  const role = item.role;
  if (typeof role !== 'string' || !ROLES.has(role)) {
    throw invalid(`${at}.role`, `Invalid value for '${at}.role': expected one of user, assistant, system, developer.`);
  }
  const content = item.content;
  if (typeof content === 'string') return { role: role as ChatMessage['role'], content };
  if (!Array.isArray(content)) throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}.content': expected a string or an array.`, { param: `${at}.content` });
  if (role === 'assistant') {
    // Earlier answers: their text (output_text) and refusals, as the assistant's string content.
    let text = '';
    content.forEach((part, j) => {
      if (part?.type === 'refusal' && typeof part.refusal === 'string') text += part.refusal;
      else text += inputPart(part, `${at}.content[${j}]`).text ?? '';
    });
    return { role: 'assistant', content: text };
  }
  const parts = content.map((part, j) => inputPart(part, `${at}.content[${j}]`));
  if (role !== 'user' && parts.some((p) => p.type !== 'text')) {
    throw invalid(`${at}.content`, `A ${role} message may hold text only.`);
  }
  return { role: role as ChatMessage['role'], content: chatContent(parts) };
}

function toolOutput(item: InputItem, at: string): string {
  const output = item.output;
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}.output': expected a string or an array.`, { param: `${at}.output` });
  return output
    .map((part, j) => {
      if (part?.type !== 'input_text' && part?.type !== 'output_text') {
        throw invalid(`${at}.output[${j}].type`, `Chat targets take text tool results only: '${at}.output[${j}]' is ${String(part?.type)}.`);
      }
      return inputPart(part, `${at}.output[${j}]`).text;
    })
    .join('\n');
}

/** A call joins the assistant message before it, as chat nests them, or opens one. */
function appendCall(messages: ChatMessage[], call: ToolCall): void {
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant') (last.tool_calls ??= []).push(call);
  else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
}

/** Append `input` (a string or a list of items) to `messages` as chat messages. */
export function appendInput(messages: ChatMessage[], input: string | InputItem[]): void {
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input });
    return;
  }
  input.forEach((item, i) => {
    const at = `input[${i}]`;
    if (typeof item !== 'object' || item === null || Array.isArray(item)) {
      throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}': expected an object.`, { param: at });
    }
    const type = item.type ?? (item.role !== undefined ? 'message' : undefined);
    switch (type) {
      case 'message':
        messages.push(messageOf(item, at));
        return;
      case 'function_call':
        appendCall(messages, {
          id: requireString(item, 'call_id', at),
          type: 'function',
          function: { name: requireString(item, 'name', at), arguments: requireString(item, 'arguments', at) },
        });
        return;
      case 'custom_tool_call':
        // The model saw the custom tool as a function taking {"input": ...}: so it is replayed.
        appendCall(messages, customToolCall(requireString(item, 'call_id', at), requireString(item, 'name', at), requireString(item, 'input', at)));
        return;
      case 'function_call_output':
      case 'custom_tool_call_output':
        messages.push({ role: 'tool', tool_call_id: requireString(item, 'call_id', at), content: toolOutput(item, at) });
        return;
      case 'reasoning':
        // A chat upstream has no field for an earlier turn's reasoning: dropped (docs/front-doors.md).
        return;
      case 'item_reference':
        throw invalid(`${at}.type`, `'item_reference' needs items stored by OpenAI; send the items themselves.`);
      default:
        if (typeof type === 'string' && HOSTED_ITEMS.has(type)) {
          throw new GatewayError('SWB_ERR_UNSUPPORTED_TOOL', `'${at}' is a ${type} item, from a tool only OpenAI runs; Switchboard serves function and custom tools only.`, { param: `${at}.type` });
        }
        throw invalid(`${at}.type`, `Invalid value for '${at}.type': expected one of message, function_call, function_call_output, custom_tool_call, custom_tool_call_output, reasoning.`);
    }
  });
}
