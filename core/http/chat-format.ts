import type { ChatChunk, ChatCompletion } from '../contract/openai.js';
import { jsonText, type RawJson } from '../contract/raw.js';

/**
 * How a front door renders canonical results: each chunk as one SSE payload (or nothing, to
 * skip it), and a whole completion as a JSON body.
 */
export interface ChatFormat {
  chunk(chunk: ChatChunk): string | undefined;
  completion(result: ChatCompletion | RawJson<ChatCompletion>): string;
}

/** `/v1/chat/completions`: canonical is the wire format, so raw upstream text goes out as is. */
export const chatCompletionFormat: ChatFormat = {
  chunk: jsonText,
  completion: jsonText,
};
