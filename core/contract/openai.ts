/**
 * The canonical wire types. Inside Switchboard everything is OpenAI Chat Completions: a
 * {@link ChatRequest} in, a stream of {@link ChatChunk}s out (a {@link ChatCompletion} is their fold).
 * Only the fields the core reads are typed; everything else travels untouched.
 */

/** One part of a multi-part message `content` (text, image_url, input_audio, ...). */
export interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
  [field: string]: unknown;
}

export interface ToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | 'function';
  content?: string | ContentPart[] | null;
  name?: string;
  tool_calls?: ToolCall[];
  tool_call_id?: string;
  [field: string]: unknown;
}

/** `POST /v1/chat/completions` body. Unknown fields are kept and forwarded. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  temperature?: number | null;
  top_p?: number | null;
  n?: number | null;
  stop?: string | string[] | null;
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  tools?: unknown[];
  tool_choice?: unknown;
  response_format?: unknown;
  user?: string;
  [field: string]: unknown;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  [field: string]: unknown;
}

/** A tool call fragment inside a stream delta; `index` ties fragments together. */
export interface ToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function?: { name?: string; arguments?: string };
}

export interface ChunkDelta {
  role?: 'assistant';
  content?: string | null;
  reasoning_content?: string | null;
  refusal?: string | null;
  tool_calls?: ToolCallDelta[];
  [field: string]: unknown;
}

export interface ChunkChoice {
  index: number;
  delta: ChunkDelta;
  finish_reason: string | null;
  logprobs?: unknown;
}

/** One `chat.completion.chunk`. Providers may yield lazy ones (see `RawChatChunk`). */
export interface ChatChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: ChunkChoice[];
  usage?: Usage | null;
  system_fingerprint?: string | null;
}

export interface CompletionMessage {
  role: 'assistant';
  content: string | null;
  reasoning_content?: string;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  [field: string]: unknown;
}

export interface CompletionChoice {
  index: number;
  message: CompletionMessage;
  finish_reason: string | null;
  logprobs?: unknown;
}

/** A non-streaming `chat.completion`. */
export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: CompletionChoice[];
  usage?: Usage;
  system_fingerprint?: string | null;
  [field: string]: unknown;
}

/** `POST /v1/embeddings` body. */
export interface EmbeddingsRequest {
  model: string;
  input: string | string[] | number[] | number[][];
  encoding_format?: 'float' | 'base64';
  dimensions?: number;
  user?: string;
  [field: string]: unknown;
}

export interface Embedding {
  object: 'embedding';
  index: number;
  /** float list, or a base64 string of little-endian float32 when `encoding_format` is base64 */
  embedding: number[] | string;
}

export interface EmbeddingsResponse {
  object: 'list';
  data: Embedding[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** `POST /v1/images/generations` body. */
export interface ImageRequest {
  model: string;
  prompt: string;
  /** How many images (1-10, default 1). */
  n?: number;
  /** `url` (default): links the client can open; `b64_json`: the bytes inline. */
  response_format?: 'url' | 'b64_json';
  size?: string;
  quality?: string;
  style?: string;
  user?: string;
  [field: string]: unknown;
}

export interface GeneratedImage {
  url?: string;
  b64_json?: string;
  revised_prompt?: string;
}

export interface ImagesResponse {
  created: number;
  data: GeneratedImage[];
  [field: string]: unknown;
}

/** An entry of `GET /v1/models`, as a provider reports it. */
export interface ModelInfo {
  id: string;
  owned_by?: string;
  created?: number;
  /** Other names clients may use for it (`gpt-4o-mini` for `openai/gpt-4o-mini`); not listed. */
  aliases?: string[];
  [field: string]: unknown;
}
