import type { ChatMessage } from '../../contract/openai.js';
import type { Logger } from '../../contract/provider.js';
import { GatewayError } from '../../errors/gateway-error.js';
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
 * Responses kept in the state driver's key-value store (memory, a log beside the state file, or
 * Redis for every instance). Saving does not hold up the answer; a save still in flight is served
 * from memory, so a client that continues at once on this instance never misses it. A store that
 * cannot be read (Redis down) is a 503 naming it, not a 500, and not a "not found".
 */
export class ResponseStore {
  #kv: Promise<KeyValueStore> | undefined;
  /** Saves not yet written, as the text that will be (not the objects: they would outlive many collections). */
  readonly #pending = new Map<string, string>();
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

  /** `responseJson`, when given, is `stored.response` already as JSON (the stream wrote it): not stringified twice. */
  save(stored: StoredResponse, responseJson?: string): void {
    const id = stored.response.id;
    const text = storedJson(stored, responseJson);
    this.#pending.set(id, text);
    const write = this.#open()
      .then((kv) => (this.#pending.get(id) === text ? kv.set(id, text) : undefined)) // unless deleted meanwhile
      .catch((err: Error) => this.log.warn({ id, err: err.message }, 'cannot store a response; previous_response_id will not find it'))
      .finally(() => {
        if (this.#pending.get(id) === text) this.#pending.delete(id);
        this.#writes.delete(write);
      });
    this.#writes.add(write);
  }

  /** Wait for the saves in flight, then close the store (shutdown: before the state driver closes). */
  async close(): Promise<void> {
    await Promise.all(this.#writes);
    if (this.#kv) await (await this.#kv.catch(() => undefined))?.close();
  }

  /** `param` names the request field the id came from, for the 503 when the store is down. */
  async load(id: string, param: string | null = null): Promise<StoredResponse | undefined> {
    const pending = this.#pending.get(id);
    if (pending !== undefined) return JSON.parse(pending) as StoredResponse;
    if (!this.enabled) return undefined;
    const text = await this.#ask(id, param, async (kv) => kv.get(id));
    return text === undefined ? undefined : (JSON.parse(text) as StoredResponse);
  }

  async delete(id: string): Promise<boolean> {
    const wasPending = this.#pending.delete(id);
    if (!this.enabled) return wasPending;
    return (await this.#ask(id, null, (kv) => kv.delete(id))) || wasPending;
  }

  async #ask<T>(id: string, param: string | null, fn: (kv: KeyValueStore) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.#open());
    } catch (err) {
      // The cause goes to the log only: a driver's message may carry its address.
      this.log.warn({ id, driver: this.state.driver, err: (err as Error).message }, 'cannot read stored responses: the state store is unavailable');
      throw new GatewayError('SWB_ERR_STATE_UNAVAILABLE', `Stored responses cannot be read right now: the state store (${this.state.driver}) is unavailable. Retry later.`, { param });
    }
  }
}

/** The stored document, with the response as the JSON it was sent as when there is one. */
function storedJson(stored: StoredResponse, responseJson: string | undefined): string {
  if (responseJson === undefined) return JSON.stringify(stored);
  return `{"response":${responseJson},"input":${JSON.stringify(stored.input)},"messages":${JSON.stringify(stored.messages)}}`;
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
