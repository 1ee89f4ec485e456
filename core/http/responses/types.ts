/**
 * The OpenAI Responses API, as much of it as the front door reads. Bodies are checked by
 * `schema.ts` first; these types describe what passed.
 */

/** One part of an input message's `content`. */
export interface InputPart {
  type: string;
  text?: string;
  image_url?: string | null;
  file_id?: string | null;
  detail?: string;
  file_data?: string;
  filename?: string;
  refusal?: string;
  [field: string]: unknown;
}

/** One entry of `input` when it is a list (a message, a tool call, its output, a reasoning item). */
export interface InputItem {
  type?: string;
  role?: string;
  content?: string | InputPart[];
  call_id?: string;
  name?: string;
  arguments?: string;
  /** A `custom_tool_call`'s text. */
  input?: string;
  output?: string | InputPart[];
  summary?: { type: string; text: string }[];
  [field: string]: unknown;
}

export interface TextFormat {
  type: 'text' | 'json_object' | 'json_schema';
  name?: string;
  schema?: Record<string, unknown>;
  strict?: boolean | null;
  description?: string;
}

/** `POST /v1/responses` body. */
export interface ResponsesRequest {
  model: string;
  input?: string | InputItem[];
  instructions?: string | null;
  tools?: { type: string; name?: string; description?: string | null; parameters?: unknown; strict?: boolean | null; [field: string]: unknown }[];
  tool_choice?: string | { type: string; name?: string; [field: string]: unknown };
  parallel_tool_calls?: boolean | null;
  max_output_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
  text?: { format?: TextFormat; verbosity?: string | null } | null;
  reasoning?: { effort?: string | null; summary?: string | null; [field: string]: unknown } | null;
  metadata?: Record<string, string> | null;
  user?: string;
  stream?: boolean | null;
  store?: boolean | null;
  previous_response_id?: string | null;
  [field: string]: unknown;
}

/** An item of a response's `output`. */
export type OutputItem =
  | { id: string; type: 'message'; status: string; role: 'assistant'; content: OutputPart[] }
  | { id: string; type: 'function_call'; status: string; call_id: string; name: string; arguments: string }
  | { id: string; type: 'custom_tool_call'; status: string; call_id: string; name: string; input: string }
  | { id: string; type: 'reasoning'; summary: { type: 'summary_text'; text: string }[] };

export type OutputPart =
  | { type: 'output_text'; text: string; annotations: unknown[]; logprobs: unknown[] }
  | { type: 'refusal'; refusal: string };

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
}

/** A `response` object (what `responses.create` answers and `response.completed` carries). */
export interface ResponseObject {
  id: string;
  object: 'response';
  created_at: number;
  status: 'in_progress' | 'completed' | 'incomplete' | 'failed';
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  model: string;
  output: OutputItem[];
  usage: ResponseUsage | null;
  [field: string]: unknown;
}
