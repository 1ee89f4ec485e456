import { randomBytes } from 'node:crypto';
import type { ChatChunk, ChatCompletion, ChunkDelta, Usage } from '../contract/openai.js';

/** `chatcmpl-` plus 24 random hex characters. */
export function completionId(prefix = 'chatcmpl-'): string {
  return prefix + randomBytes(12).toString('hex');
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** A one-choice chunk; the shape every Switchboard-made chunk has. */
export function makeChunk(
  base: { id: string; created: number; model: string },
  delta: ChunkDelta,
  finishReason: string | null = null,
  usage?: Usage,
): ChatChunk {
  const chunk: ChatChunk = {
    id: base.id,
    object: 'chat.completion.chunk',
    created: base.created,
    model: base.model,
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  };
  if (usage) chunk.usage = usage;
  return chunk;
}

/** A chunk that ends choice `index` with `finishReason` (`stop`, `length`, `tool_calls`...), delta empty. */
export function finishChunk(base: { id: string; created: number; model: string }, finishReason: string, index = 0): ChatChunk {
  return {
    id: base.id,
    object: 'chat.completion.chunk',
    created: base.created,
    model: base.model,
    choices: [{ index, delta: {}, finish_reason: finishReason }],
  };
}

/**
 * The last chunk of a stream asked for with `stream_options.include_usage`: no choices, only the
 * usage (OpenAI sends it after the finish chunks, before `[DONE]`).
 */
export function usageChunk(base: { id: string; created: number; model: string }, usage: Usage): ChatChunk {
  return { id: base.id, object: 'chat.completion.chunk', created: base.created, model: base.model, choices: [], usage };
}

/**
 * The chunks a streaming client would have seen for a finished completion: for upstreams that
 * answer a `stream: true` request with plain JSON anyway.
 */
export function completionToChunks(c: ChatCompletion, includeUsage: boolean): ChatChunk[] {
  const base = { id: c.id, created: c.created, model: c.model };
  const out: ChatChunk[] = [];
  for (const choice of c.choices ?? []) {
    const m = choice.message ?? { role: 'assistant', content: null };
    const delta: ChunkDelta = { role: 'assistant', content: m.content ?? '' };
    if (m.reasoning_content) delta.reasoning_content = m.reasoning_content;
    if (m.tool_calls?.length) delta.tool_calls = m.tool_calls.map((t, index) => ({ index, ...t }));
    out.push({ ...makeChunk(base, delta), choices: [{ index: choice.index, delta, finish_reason: null }] });
    out.push(finishChunk(base, choice.finish_reason ?? 'stop', choice.index));
  }
  if (includeUsage && c.usage) out.push(usageChunk(base, c.usage));
  return out;
}
