import type { ChatCompletion, Usage } from '../../contract/openai.js';
import { randomHex } from '../random-hex.js';
import { customCallItem, customInput, customToolNames } from './custom-tools.js';
import type { OutputItem, OutputPart, ResponseObject, ResponseUsage, ResponsesRequest, TextFormat } from './types.js';

/**
 * The `response` object: its identity and the request's settings (echoed as OpenAI does), then
 * the output built from a canonical completion.
 */

/** One request's response: the id its items derive from, and the fields every rendering repeats. */
export class ResponseShell {
  readonly id: string;
  readonly createdAt: number;
  /** The request's custom tools, by name: calls of them are `custom_tool_call` items. */
  readonly customTools: ReadonlySet<string>;
  readonly #tail: string;
  readonly #settings: Settings;
  #settingsJson: string | undefined;
  #items = 0;

  constructor(
    body: ResponsesRequest,
    /** The model the client asked for (dispatch rewrites `body.model` to the upstream's id). */
    readonly model: string,
    /** Whether the response is kept (`store`, unless storing is off). */
    store: boolean,
    now = Date.now(),
  ) {
    this.#tail = randomHex(16);
    this.id = `resp_${this.#tail}`;
    this.createdAt = Math.floor(now / 1000);
    this.customTools = customToolNames(body.tools);
    this.#settings = {
      instructions: body.instructions ?? null,
      max_output_tokens: body.max_output_tokens ?? null,
      metadata: body.metadata ?? {},
      parallel_tool_calls: body.parallel_tool_calls ?? true,
      previous_response_id: body.previous_response_id ?? null,
      reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
      store,
      temperature: body.temperature ?? 1,
      text: { format: body.text?.format ?? { type: 'text' }, ...(body.text?.verbosity != null && { verbosity: body.text.verbosity }) },
      tool_choice: body.tool_choice ?? 'auto',
      tools: body.tools ?? [],
      top_p: body.top_p ?? 1,
      truncation: 'disabled',
      user: body.user ?? null,
    };
  }

  /** A fresh output item id (`msg_…`, `fc_…`, `ctc_…`, `rs_…`), unique within the response. */
  itemId(prefix: string): string {
    return `${prefix}_${this.#tail}${(this.#items++).toString(16).padStart(2, '0')}`;
  }

  /**
   * {@link object} as JSON, from an output already serialised: a stream writes the response three
   * times (created, in progress, completed) and its items once already, so the settings are
   * serialised once per response and the output's text not again.
   */
  json(status: ResponseObject['status'], outputJson: string, usage: ResponseUsage | null, extra?: Pick<Partial<ResponseObject>, 'error' | 'incomplete_details'>): string {
    const settings = (this.#settingsJson ??= `${settingsJson(this.#settings)},"model":${JSON.stringify(this.model)}`);
    const error = extra?.error ? JSON.stringify(extra.error) : 'null';
    const incomplete = extra?.incomplete_details ? JSON.stringify(extra.incomplete_details) : 'null';
    return `{"id":"${this.id}","object":"response","created_at":${this.createdAt},"status":"${status}","background":false,"error":${error},"incomplete_details":${incomplete},${settings},"output":${outputJson},"usage":${usage ? usageJson(usage) : 'null'}}`;
  }

  /** The response object in a given state; `output` and `usage` as known so far. */
  object(status: ResponseObject['status'], output: OutputItem[], usage: ResponseUsage | null, extra?: Partial<ResponseObject>): ResponseObject {
    return {
      id: this.id,
      object: 'response',
      created_at: this.createdAt,
      status,
      background: false,
      error: null,
      incomplete_details: null,
      ...this.#settings,
      model: this.model,
      output,
      usage,
      ...extra,
    };
  }
}

/**
 * The settings' members as JSON (no braces), in their order. Node 20's JSON.stringify costs about
 * 100 ns a property, and a stream writes the response three times: the values a request usually
 * leaves at their defaults, and the ones that are ours, are written here; what the client sent in
 * full (tools, metadata, a format) is serialised as it came.
 */
function settingsJson(s: Settings): string {
  const v = valueJson;
  const text = `{"format":${s.text.format.type === 'text' && Object.keys(s.text.format).length === 1 ? '{"type":"text"}' : v(s.text.format)}${s.text.verbosity === undefined ? '' : `,"verbosity":${v(s.text.verbosity)}`}}`;
  return `"instructions":${v(s.instructions)},"max_output_tokens":${v(s.max_output_tokens)},"metadata":${v(s.metadata)},"parallel_tool_calls":${v(s.parallel_tool_calls)},"previous_response_id":${v(s.previous_response_id)},"reasoning":{"effort":${v(s.reasoning.effort)},"summary":${v(s.reasoning.summary)}},"store":${v(s.store)},"temperature":${v(s.temperature)},"text":${text},"tool_choice":${v(s.tool_choice)},"tools":${v(s.tools)},"top_p":${v(s.top_p)},"truncation":"disabled","user":${v(s.user)}`;
}

/** The request's settings a response echoes, in OpenAI's order (the order {@link settingsJson} writes). */
interface Settings {
  instructions: string | unknown[] | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  previous_response_id: string | null;
  reasoning: { effort: string | null; summary: string | null };
  store: boolean;
  temperature: number;
  text: { format: TextFormat; verbosity?: string | null };
  tool_choice: unknown;
  tools: unknown[];
  top_p: number;
  truncation: 'disabled';
  user: string | null;
}

function valueJson(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value) && value.length === 0) return '[]';
  if (typeof value === 'object' && value !== null && Object.keys(value).length === 0) return '{}';
  return JSON.stringify(value);
}

/** {@link ResponseUsage} as JSON, written out (see {@link settingsJson}). */
export function usageJson(u: ResponseUsage): string {
  const counts = [u.input_tokens, u.input_tokens_details.cached_tokens, u.output_tokens, u.output_tokens_details.reasoning_tokens, u.total_tokens];
  if (!counts.every(Number.isFinite)) return JSON.stringify(u); // an upstream's odd usage, as it is
  return `{"input_tokens":${u.input_tokens},"input_tokens_details":{"cached_tokens":${u.input_tokens_details.cached_tokens}},"output_tokens":${u.output_tokens},"output_tokens_details":{"reasoning_tokens":${u.output_tokens_details.reasoning_tokens}},"total_tokens":${u.total_tokens}}`;
}

/** Canonical usage in the Responses shape. */
export function responseUsage(usage: Usage | null | undefined): ResponseUsage | null {
  if (!usage) return null;
  const cached = (usage.prompt_tokens_details as { cached_tokens?: number } | undefined)?.cached_tokens ?? 0;
  const reasoning = (usage.completion_tokens_details as { reasoning_tokens?: number } | undefined)?.reasoning_tokens ?? 0;
  return {
    input_tokens: usage.prompt_tokens,
    input_tokens_details: { cached_tokens: cached },
    output_tokens: usage.completion_tokens,
    output_tokens_details: { reasoning_tokens: reasoning },
    total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens,
  };
}

/** What a chat finish reason makes of the response: its status and why it is incomplete. */
export function ending(finish: string | null | undefined): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finish === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
  if (finish === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
  return { status: 'completed', incomplete_details: null };
}

export const textPart = (text: string): OutputPart => ({ type: 'output_text', text, annotations: [], logprobs: [] });

/** The response to a non-streaming request, from the completion (its first choice: Responses has no `n`). */
export function responseOf(shell: ResponseShell, completion: ChatCompletion): ResponseObject {
  const choice = completion.choices?.[0];
  const message = choice?.message;
  const end = ending(choice?.finish_reason);
  const output: OutputItem[] = [];
  if (message?.reasoning_content) {
    output.push({ id: shell.itemId('rs'), type: 'reasoning', summary: [{ type: 'summary_text', text: message.reasoning_content }] });
  }
  const content: OutputPart[] = [];
  if (message?.content) content.push(textPart(message.content));
  if (message?.refusal) content.push({ type: 'refusal', refusal: message.refusal });
  const calls = message?.tool_calls ?? [];
  if (content.length || !calls.length) {
    const status = end.status === 'incomplete' ? 'incomplete' : 'completed';
    output.push({ id: shell.itemId('msg'), type: 'message', status, role: 'assistant', content: content.length ? content : [textPart('')] });
  }
  for (const call of calls) {
    const { name, arguments: args } = call.function;
    if (shell.customTools.has(name)) output.push(customCallItem(shell.itemId('ctc'), call.id, name, customInput(args), 'completed'));
    else output.push({ id: shell.itemId('fc'), type: 'function_call', status: 'completed', call_id: call.id, name, arguments: args });
  }
  return shell.object(end.status, output, responseUsage(completion.usage), { incomplete_details: end.incomplete_details });
}
