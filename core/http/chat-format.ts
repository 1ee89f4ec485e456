import type { ChatChunk, ChatCompletion } from '../contract/openai.js';
import { jsonText, type RawJson } from '../contract/raw.js';
import type { GatewayError } from '../errors/gateway-error.js';

/** Where a stream renderer writes: `data:`-only events, or named ones (`event: <name>`). */
export interface EventSink {
  data(json: string): void;
  event(name: string, json: string): void;
  /**
   * Events already framed as SSE text, written as they are: a native upstream's own events, or a
   * renderer's hot events framed in one template (each ends with a blank line; JSON text holds no
   * raw line break, so `data:` needs no splitting).
   */
  frames(text: string): void;
}

/** One streamed answer in a front door's wire format; a fresh one per stream (it may keep state). */
export interface StreamRenderer {
  /** The events one canonical chunk becomes (none, to skip it). The first call gets the role chunk. */
  chunk(chunk: ChatChunk, out: EventSink): void;
  /** The stream ended normally: the closing events (`message_stop`, `response.completed`). */
  done(out: EventSink): void;
  /** A failure after the first byte, or shutdown: the events that end the stream with this error (no clean end follows). */
  fail(error: GatewayError, out: EventSink): void;
}

/**
 * How a front door renders canonical results: each chunk as one SSE payload (or nothing, to
 * skip it), and a whole completion as a JSON body. A front door whose stream has named events or
 * state of its own (content block indexes, sequence numbers) gives `stream()` instead, a fresh
 * renderer per stream; `chunk` is then unused.
 */
export interface ChatFormat {
  /** The front door's route, as the access log names it (`/v1/chat/completions`); without it, the route it was registered as. */
  readonly route?: string;
  chunk(chunk: ChatChunk): string | undefined;
  /**
   * `chunk` sends a chunk's JSON text unchanged ({@link jsonText}): a run of chunks may then go
   * out as the upstream's own `data:` frames, in one piece.
   */
  readonly rawFrames?: boolean;
  completion(result: ChatCompletion | RawJson<ChatCompletion>): string;
  stream?(): StreamRenderer;
}

/** `/v1/chat/completions`: canonical is the wire format, so raw upstream text goes out as is. */
export const chatCompletionFormat: ChatFormat = {
  route: '/v1/chat/completions',
  chunk: jsonText,
  rawFrames: true,
  completion: jsonText,
};
