import type { ToolCall } from '../../contract/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { OutputItem, ResponsesRequest } from './types.js';

/**
 * Freeform (`custom`) tools, such as Codex's `apply_patch`: the model answers them with raw text,
 * not JSON. Chat has function tools only, so upstream each is a function taking one string,
 * `input`, and a call of it comes back as a `custom_tool_call` carrying that string.
 */

type Tool = NonNullable<ResponsesRequest['tools']>[number];

/** The one parameter the function stands-in take. */
const PARAMETERS = {
  type: 'object',
  properties: { input: { type: 'string', description: 'The raw input text for this tool, whole (it is freeform text, not JSON).' } },
  required: ['input'],
  additionalProperties: false,
} as const;

const SYNTAX: Record<string, string> = { lark: 'Lark grammar', regex: 'regular expression' };

/** A `custom` tool as the chat function that stands in for it; its grammar goes in the description. */
export function customFunction(tool: Tool, at: string): { type: 'function'; function: Record<string, unknown> } {
  const described: string[] = [];
  if (typeof tool.description === 'string' && tool.description) described.push(tool.description);
  const grammar = grammarOf(tool.format, `${at}.format`);
  if (grammar) described.push(`The input must match this ${SYNTAX[grammar.syntax]}:\n${grammar.definition}`);
  const fn: Record<string, unknown> = { name: tool.name, parameters: PARAMETERS };
  if (described.length) fn.description = described.join('\n\n');
  return { type: 'function', function: fn };
}

function grammarOf(format: unknown, at: string): { syntax: string; definition: string } | undefined {
  if (format == null) return undefined;
  if (typeof format !== 'object' || Array.isArray(format)) throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${at}': expected an object.`, { param: at });
  const f = format as Record<string, unknown>;
  if (f.type === 'text') return undefined;
  if (f.type !== 'grammar') throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${at}.type': expected one of text, grammar.`, { param: `${at}.type` });
  if (typeof f.syntax !== 'string' || !(f.syntax in SYNTAX)) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for '${at}.syntax': expected one of lark, regex.`, { param: `${at}.syntax` });
  }
  if (typeof f.definition !== 'string') {
    const param = `${at}.definition`;
    if (f.definition === undefined) throw new GatewayError('SWB_ERR_MISSING_PARAM', `Missing required parameter: '${param}'.`, { param });
    throw new GatewayError('SWB_ERR_INVALID_TYPE', `Invalid type for '${param}': expected a string.`, { param });
  }
  return { syntax: f.syntax, definition: f.definition };
}

/** The names of the request's custom tools: calls of these are rendered as `custom_tool_call`. */
export function customToolNames(tools: ResponsesRequest['tools']): ReadonlySet<string> {
  const names = new Set<string>();
  for (const t of tools ?? []) if (t.type === 'custom' && typeof t.name === 'string') names.add(t.name);
  return names;
}

/** A custom tool call's input as the function arguments the model saw it as. */
export const customArguments = (input: string): string => JSON.stringify({ input });

/**
 * The input of a call the model made: `input` of its `{"input": "..."}` arguments. Arguments that
 * are not that object (a model that wrote the raw text itself) are taken as the input whole.
 */
export function customInput(args: string): string {
  try {
    const parsed: unknown = JSON.parse(args);
    if (parsed && typeof parsed === 'object' && typeof (parsed as { input?: unknown }).input === 'string') return (parsed as { input: string }).input;
  } catch {
    // not JSON: the raw text
  }
  return args;
}

/** The output item of a custom tool call. */
export function customCallItem(id: string, callId: string, name: string, input: string, status: string): OutputItem {
  return { id, type: 'custom_tool_call', status, call_id: callId, name, input };
}

/** A `custom_tool_call` output item as the canonical tool call the model made. */
export function customToolCall(callId: string, name: string, input: string): ToolCall {
  return { id: callId, type: 'function', function: { name, arguments: customArguments(input) } };
}
