import type { ChatChunk, ChatCompletion, ChatRequest } from '../contract/openai.js';
import { jsonValue, peekChunk, type RawJson } from '../contract/raw.js';
import type { ChatFormat } from './chat-format.js';

/** `POST /v1/completions` body, as far as Switchboard reads it. */
export interface CompletionsRequest {
  model: string;
  prompt: string | [string];
  echo?: boolean | null;
  suffix?: string | null;
  best_of?: number | null;
  logprobs?: unknown;
  [field: string]: unknown;
}

/** The legacy request as a chat request: the prompt becomes one user message. */
export function completionsToChat(body: CompletionsRequest): ChatRequest {
  const { prompt, echo: _echo, suffix: _suffix, best_of: _bestOf, logprobs: _logprobs, ...rest } = body;
  return { ...rest, model: body.model, messages: [{ role: 'user', content: Array.isArray(prompt) ? prompt[0] : prompt }] };
}

const legacyId = (id: string) => (id.startsWith('chatcmpl-') ? `cmpl-${id.slice(9)}` : id);

/**
 * Renders chat results as `text_completion` objects. With `echo`, the prompt is sent first (and
 * prefixed to the non-streaming text), as the legacy API does.
 */
export function textCompletionFormat(prompt: string, echo: boolean): ChatFormat {
  let echoPending = echo;
  return {
    route: '/v1/completions',
    chunk(chunk: ChatChunk): string | undefined {
      const c = peekChunk(chunk);
      const head = { id: legacyId(c.id), object: 'text_completion', created: c.created, model: c.model };
      if (!c.choices?.length) return c.usage ? JSON.stringify({ ...head, choices: [], usage: c.usage }) : undefined;
      const choice = c.choices[0];
      let text = typeof choice.delta?.content === 'string' ? choice.delta.content : '';
      if (echoPending) {
        text = prompt + text;
        echoPending = false;
      }
      if (!text && !choice.finish_reason) return undefined;
      return JSON.stringify({
        ...head,
        choices: [{ text, index: choice.index, logprobs: null, finish_reason: choice.finish_reason ?? null }],
      });
    },
    completion(result: ChatCompletion | RawJson<ChatCompletion>): string {
      const c = jsonValue(result);
      return JSON.stringify({
        id: legacyId(c.id),
        object: 'text_completion',
        created: c.created,
        model: c.model,
        choices: (c.choices ?? []).map((ch) => ({
          text: (echo ? prompt : '') + (ch.message?.content ?? ''),
          index: ch.index,
          logprobs: null,
          finish_reason: ch.finish_reason,
        })),
        ...(c.usage ? { usage: c.usage } : {}),
      });
    },
  };
}
