import type { ChatMessage } from '../../contract/openai.js';
import type { Logger } from '../../contract/provider.js';
import type { KeyValueOptions, KeyValueStore } from '../../state/key-value.js';
import type { StateStore } from '../../state/store.js';
import { customToolCall } from './custom-tools.js';
import type { InputItem, ResponseObject } from './types.js';

/** A stored response: what `GET /v1/responses/{id}` answers, and what `previous_response_id` continues. */
export interface StoredResponse {
  response: ResponseObject;
  /** This request's input items, with ids (`GET /v1/responses/{id}/input_items`). */
  input: InputItem[];
  /**
   * The conversation up to and including this answer, as chat messages without the instructions
   * (a follow-up brings its own). Each response holds the whole chain, so one that expires or is
   * evicted never breaks a newer one.
   */
  messages: ChatMessage[];
}

/**
 * Responses kept in the state driver's key-value store (memory, a folder beside the state file, or
 * Redis for every instance). Saving does not hold up the answer; a save still in flight is served
 * from memory, so a client that continues at once on this instance never misses it.
 */
export class ResponseStore {
  #kv: Promise<KeyValueStore> | undefined;
  readonly #pending = new Map<string, StoredResponse>();
  readonly #writes = new Set<Promise<void>>();

  constructor(
    private readonly state: StateStore,
    private readonly options: KeyValueOptions,
    private readonly log: Logger,
  ) {}

  /** False when `responses.maxStored` is 0: nothing is kept, `store: true` is ignored. */
  get enabled(): boolean {
    return this.options.maxEntries > 0;
  }

  // Opened on first use, so an install that never stores a response gets no folder for them.
  #open(): Promise<KeyValueStore> {
    return (this.#kv ??= this.state.keyValue('responses', this.options));
  }

  save(stored: StoredResponse): void {
    const id = stored.response.id;
    this.#pending.set(id, stored);
    const write = this.#open()
      .then((kv) => (this.#pending.get(id) === stored ? kv.set(id, JSON.stringify(stored)) : undefined)) // unless deleted meanwhile
      .catch((err: Error) => this.log.warn({ id, err: err.message }, 'cannot store a response; previous_response_id will not find it'))
      .finally(() => {
        if (this.#pending.get(id) === stored) this.#pending.delete(id);
        this.#writes.delete(write);
      });
    this.#writes.add(write);
  }

  /** Wait for the saves in flight (shutdown: before the state driver closes). */
  async settle(): Promise<void> {
    await Promise.all(this.#writes);
  }

  async load(id: string): Promise<StoredResponse | undefined> {
    const pending = this.#pending.get(id);
    if (pending) return pending;
    if (!this.enabled) return undefined;
    const text = await (await this.#open()).get(id);
    return text === undefined ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async delete(id: string): Promise<boolean> {
    const wasPending = this.#pending.delete(id);
    if (!this.enabled) return wasPending;
    return (await (await this.#open()).delete(id)) || wasPending;
  }
}

/** A response's output as the chat message that continues the conversation (reasoning is dropped). */
export function outputMessage(response: ResponseObject): ChatMessage {
  let text = '';
  const calls: NonNullable<ChatMessage['tool_calls']> = [];
  for (const item of response.output) {
    if (item.type === 'message') for (const part of item.content) text += part.type === 'output_text' ? part.text : part.refusal;
    else if (item.type === 'function_call') calls.push({ id: item.call_id, type: 'function', function: { name: item.name, arguments: item.arguments } });
    else if (item.type === 'custom_tool_call') calls.push(customToolCall(item.call_id, item.name, item.input));
  }
  const message: ChatMessage = { role: 'assistant', content: text || (calls.length ? null : '') };
  if (calls.length) message.tool_calls = calls;
  return message;
}

/** This request's input as the items `input_items` lists: each with an id, a string input as one user message. */
export function inputItems(input: string | InputItem[] | undefined, itemId: (prefix: string) => string): InputItem[] {
  if (input === undefined) return [];
  if (typeof input === 'string') return [{ id: itemId('msg'), type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }];
  return input.map((item) => {
    const type = item.type ?? 'message';
    return { ...item, type, id: typeof item.id === 'string' ? item.id : itemId(type === 'message' ? 'msg' : type === 'function_call' ? 'fc' : type === 'custom_tool_call' ? 'ctc' : type === 'reasoning' ? 'rs' : 'item') };
  });
}
