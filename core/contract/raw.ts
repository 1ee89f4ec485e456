import type { ChatChunk, ChunkChoice, Usage } from './openai.js';
import { branded } from './brand.js';

const RAW_JSON = branded('RawJson');
const RAW_CHUNK = branded('RawChatChunk');

/**
 * A JSON document kept as the upstream sent it. Re-serialising a body nobody changes costs more
 * than the rest of the request path, so the text is forwarded as is and parsed only on demand.
 */
export class RawJson<T> {
  static [Symbol.hasInstance](value: unknown): boolean {
    return RAW_JSON.is(value);
  }

  readonly [RAW_JSON.mark] = true;
  #value: T | undefined;

  constructor(readonly text: string) {}

  /** The parsed document (parsed once). Treat it as read-only: the text is what gets sent. */
  get value(): T {
    return (this.#value ??= JSON.parse(this.text) as T);
  }

  toJSON(): T {
    return this.value;
  }
}

/** Text of a value that may be raw: the raw text, or its JSON serialisation. */
export function jsonText(value: unknown): string {
  return RAW_CHUNK.is(value) || RAW_JSON.is(value) ? (value as RawJson<unknown>).text : JSON.stringify(value);
}

/** The parsed form of a value that may be raw. */
export function jsonValue<T>(value: T | RawJson<T>): T {
  return value instanceof RawJson ? value.value : value;
}

/**
 * A `chat.completion.chunk` that carries the upstream's JSON text and parses it only when a field
 * is read. Reading a field through the accessors hands out the mutable parsed object, so the text
 * is dropped and the chunk is re-serialised; code that only looks uses {@link peek}.
 */
export class RawChatChunk implements ChatChunk {
  static [Symbol.hasInstance](value: unknown): boolean {
    return RAW_CHUNK.is(value);
  }

  readonly [RAW_CHUNK.mark] = true;
  #text: string | undefined;
  #parsed: ChatChunk | undefined;

  constructor(text: string) {
    this.#text = text;
  }

  /** Parsed view for read-only use; the original text stays valid. */
  peek(): ChatChunk {
    return (this.#parsed ??= JSON.parse(this.#text as string) as ChatChunk);
  }

  /** The JSON to send: the upstream text unless the chunk was opened for change. */
  get text(): string {
    return this.#text ?? JSON.stringify(this.#parsed);
  }

  #open(): ChatChunk {
    const value = this.peek();
    this.#text = undefined;
    return value;
  }

  get id(): string { return this.#open().id; }
  set id(v: string) { this.#open().id = v; }
  get object(): 'chat.completion.chunk' { return this.#open().object; }
  set object(v: 'chat.completion.chunk') { this.#open().object = v; }
  get created(): number { return this.#open().created; }
  set created(v: number) { this.#open().created = v; }
  get model(): string { return this.#open().model; }
  set model(v: string) { this.#open().model = v; }
  get choices(): ChunkChoice[] { return this.#open().choices; }
  set choices(v: ChunkChoice[]) { this.#open().choices = v; }
  get usage(): Usage | null | undefined { return this.#open().usage; }
  set usage(v: Usage | null | undefined) { this.#open().usage = v; }
  get system_fingerprint(): string | null | undefined { return this.#open().system_fingerprint; }
  set system_fingerprint(v: string | null | undefined) { this.#open().system_fingerprint = v; }

  toJSON(): ChatChunk {
    return this.peek();
  }
}

/** Read-only parsed view of any chunk, without spoiling a raw chunk's text. */
export function peekChunk(chunk: ChatChunk): ChatChunk {
  return chunk instanceof RawChatChunk ? chunk.peek() : chunk;
}
