import type { ChatChunk, ChatCompletion, CompletionChoice, ToolCall, Usage } from '../contract/openai.js';
import { peekChunk } from '../contract/raw.js';

/**
 * Folds a chunk stream into the `chat.completion` a non-streaming client expects: content and
 * reasoning concatenated per choice, tool-call fragments joined by their index.
 */
export class CompletionFolder {
  #id = '';
  #created = 0;
  #model = '';
  #fingerprint: string | null | undefined;
  #usage: Usage | undefined;
  #choices = new Map<number, { content: string[]; reasoning: string[]; refusal: string[]; tools: ToolCall[]; finish: string | null; logprobs: unknown }>();

  add(chunk: ChatChunk): void {
    const c = peekChunk(chunk);
    if (!this.#id) {
      this.#id = c.id;
      this.#created = c.created;
      this.#model = c.model;
    }
    if (c.system_fingerprint !== undefined) this.#fingerprint = c.system_fingerprint;
    if (c.usage) this.#usage = c.usage;
    for (const ch of c.choices ?? []) {
      let acc = this.#choices.get(ch.index);
      if (!acc) this.#choices.set(ch.index, (acc = { content: [], reasoning: [], refusal: [], tools: [], finish: null, logprobs: null }));
      const d = ch.delta ?? {};
      if (typeof d.content === 'string') acc.content.push(d.content);
      if (typeof d.reasoning_content === 'string') acc.reasoning.push(d.reasoning_content);
      if (typeof d.refusal === 'string') acc.refusal.push(d.refusal);
      for (const t of d.tool_calls ?? []) {
        let call = acc.tools[t.index];
        if (!call) acc.tools[t.index] = call = { id: '', type: 'function', function: { name: '', arguments: '' } };
        if (t.id) call.id = t.id;
        if (t.function?.name) call.function.name += t.function.name;
        if (t.function?.arguments) call.function.arguments += t.function.arguments;
      }
      if (ch.finish_reason) acc.finish = ch.finish_reason;
      if (ch.logprobs) acc.logprobs = ch.logprobs;
    }
  }

  result(): ChatCompletion {
    const choices: CompletionChoice[] = [...this.#choices.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, acc]) => {
        const tools = acc.tools.filter(Boolean);
        const message: CompletionChoice['message'] = {
          role: 'assistant',
          content: acc.content.length || !tools.length ? acc.content.join('') : null,
        };
        if (acc.reasoning.length) message.reasoning_content = acc.reasoning.join('');
        if (acc.refusal.length) message.refusal = acc.refusal.join('');
        if (tools.length) message.tool_calls = tools;
        return { index, message, logprobs: acc.logprobs, finish_reason: acc.finish };
      });
    const out: ChatCompletion = {
      id: this.#id,
      object: 'chat.completion',
      created: this.#created,
      model: this.#model,
      choices,
    };
    if (this.#usage) out.usage = this.#usage;
    if (this.#fingerprint !== undefined) out.system_fingerprint = this.#fingerprint;
    return out;
  }
}
