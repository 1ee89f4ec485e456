import { StringDecoder } from 'node:string_decoder';
import { finishChunk, makeChunk, SseParser, UpstreamError, usageChunk, withNativeOutput, type ChatChunk, type SseEvent } from '../../core/index.js';
import { finishReason, toUsage, type AnthropicUsage } from './response.js';

/** The HTTP status Anthropic gives each error type, so an in-stream error classifies like an answered one. */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

/** An `event: error` in the middle of a stream (an `overloaded_error`, say). */
export class AnthropicStreamError extends UpstreamError {
  constructor(data: string) {
    let type: string | undefined;
    try {
      type = (JSON.parse(data) as { error?: { type?: string } }).error?.type;
    } catch {
      // the body still goes along for the message
    }
    super(`the upstream reported an error mid-stream${type ? ` (${type})` : ''}`, { status: type ? (ERROR_STATUS[type] ?? 500) : 500, body: data });
    this.name = 'AnthropicStreamError';
  }
}

type Base = { id: string; created: number; model: string };
interface OpenBlock {
  type: string;
  /** A thinking block's text and signature so far, handed out whole when the block closes. */
  thinking?: string;
  signature?: string;
  /** Its index among the answer's tool calls. */
  tool?: number;
  /** Whether any argument text was sent for it. */
  args?: boolean;
  input?: unknown;
}

/**
 * Anthropic's Messages event stream as canonical chunks: the role chunk from `message_start`, text
 * and thinking deltas as content and `reasoning_content`, each tool_use block as a tool call
 * (id and name first, then its input's JSON fragments), the finish chunk at `message_stop`, then
 * the usage chunk when asked. `ping` and unknown events are skipped (Anthropic may add some); an
 * `event: error` throws. The body is read to its end so the socket goes back to the pool.
 */
export async function* anthropicChunks(body: AsyncIterable<Buffer>, created: number, includeUsage: boolean, native = false): AsyncGenerator<ChatChunk> {
  const decoder = new StringDecoder('utf8');
  const parser = new SseParser();
  const state = new StreamState(created, includeUsage, native);
  for await (const buf of body) {
    for (const ev of parser.feed(decoder.write(buf))) yield* state.emit(ev);
  }
  for (const ev of [...parser.feed(decoder.end()), ...parser.end()]) yield* state.emit(ev);
  if (!state.done) throw UpstreamError.malformed('the upstream stream ended before message_stop');
}

class StreamState {
  done = false;
  #base: Base | undefined;
  #blocks = new Map<number, OpenBlock>();
  #tools = 0;
  #usage: AnthropicUsage = {};
  #stop: string | null | undefined;
  #role: ChatChunk | undefined;

  /** Native mode: the events read since the last chunk went out, as SSE text. */
  #frames = '';

  constructor(
    readonly created: number,
    readonly includeUsage: boolean,
    /** Carry each event's own text on the chunks, for a client of the same API (see withNativeOutput). */
    readonly native: boolean,
  ) {}

  /**
   * The chunks of one event, the role chunk held back until the first of them: Anthropic opens
   * every stream with `message_start` at once, and an `overloaded_error` often follows before any
   * text. Until a chunk is out, the core can still retry or fail over without the client knowing.
   * In native mode every event's text (pings and signature deltas too) rides on the next chunk to
   * go out; message_stop makes one, so nothing is left behind.
   */
  *emit(ev: SseEvent): Generator<ChatChunk> {
    if (this.native) this.#frames += frame(ev);
    for (const chunk of this.event(ev)) {
      if (this.#role) {
        yield this.#carry(this.#role);
        this.#role = undefined;
      }
      yield this.#carry(chunk);
    }
  }

  #carry(chunk: ChatChunk): ChatChunk {
    if (!this.#frames) return chunk;
    const frames = this.#frames;
    this.#frames = '';
    return withNativeOutput(chunk, frames);
  }

  *event(ev: SseEvent): Generator<ChatChunk> {
    if (this.done || ev.data.length === 0) return;
    if (ev.event === 'error') throw new AnthropicStreamError(ev.data);
    let data: Record<string, any>;
    try {
      data = JSON.parse(ev.data) as Record<string, any>;
    } catch {
      throw UpstreamError.malformed('the upstream sent an event that is not JSON', ev.data);
    }
    const type = data?.type;
    if (type === 'error') throw new AnthropicStreamError(ev.data);
    if (type === 'message_start') {
      const m = data.message ?? {};
      this.#base = { id: String(m.id ?? ''), created: this.created, model: String(m.model ?? '') };
      Object.assign(this.#usage, m.usage);
      this.#role = makeChunk(this.#base, { role: 'assistant', content: '' });
      return;
    }
    if (type === 'ping' || typeof type !== 'string') return;
    const base = this.#base;
    if (!base) throw UpstreamError.malformed(`the upstream sent ${type} before message_start`, ev.data);
    switch (type) {
      case 'content_block_start':
        yield* this.#start(base, Number(data.index), data.content_block ?? {});
        return;
      case 'content_block_delta':
        yield* this.#delta(base, Number(data.index), data.delta ?? {});
        return;
      case 'content_block_stop': {
        const block = this.#blocks.get(Number(data.index));
        // The whole signed block, as a non-streamed answer's `thinking_blocks` holds it: a chat
        // client sends it back in the assistant turn, which Anthropic needs when thinking and
        // tools mix.
        if (block?.signature) yield makeChunk(base, { thinking_blocks: [{ type: 'thinking', thinking: block.thinking ?? '', signature: block.signature }] });
        // A tool called without arguments still owes the client a JSON object.
        if (block?.tool !== undefined && !block.args) {
          yield makeChunk(base, { tool_calls: [{ index: block.tool, function: { arguments: JSON.stringify(block.input ?? {}) } }] });
        }
        return;
      }
      case 'message_delta':
        if (data.delta && 'stop_reason' in data.delta) this.#stop = data.delta.stop_reason;
        // message_delta's usage is cumulative: it replaces what message_start said, field by field.
        if (data.usage) for (const [k, v] of Object.entries(data.usage)) if (v != null) this.#usage[k] = v;
        return;
      case 'message_stop':
        this.done = true;
        yield finishChunk(base, finishReason(this.#stop));
        if (this.includeUsage) yield usageChunk(base, toUsage(this.#usage));
        return;
      default:
        return;
    }
  }

  *#start(base: Base, index: number, block: Record<string, any>): Generator<ChatChunk> {
    const open: OpenBlock = { type: String(block.type) };
    this.#blocks.set(index, open);
    if (block.type === 'tool_use') {
      open.tool = this.#tools++;
      open.input = block.input;
      yield makeChunk(base, { tool_calls: [{ index: open.tool, id: String(block.id), type: 'function', function: { name: String(block.name), arguments: '' } }] });
    } else if (block.type === 'text' && block.text) yield makeChunk(base, { content: String(block.text) });
    else if (block.type === 'thinking') {
      open.thinking = String(block.thinking ?? '');
      if (typeof block.signature === 'string' && block.signature) open.signature = block.signature;
      if (open.thinking) yield makeChunk(base, { reasoning_content: open.thinking });
    } else if (block.type === 'redacted_thinking') yield makeChunk(base, { thinking_blocks: [{ type: 'redacted_thinking', data: String(block.data ?? '') }] });
  }

  *#delta(base: Base, index: number, d: Record<string, any>): Generator<ChatChunk> {
    if (d.type === 'text_delta' && d.text) yield makeChunk(base, { content: String(d.text) });
    else if (d.type === 'thinking_delta' && d.thinking) {
      const block = this.#blocks.get(index);
      if (block) block.thinking = (block.thinking ?? '') + String(d.thinking);
      yield makeChunk(base, { reasoning_content: String(d.thinking) });
    } else if (d.type === 'signature_delta' && d.signature) {
      const block = this.#blocks.get(index);
      if (block) block.signature = (block.signature ?? '') + String(d.signature);
    }
    else if (d.type === 'input_json_delta' && d.partial_json) {
      const block = this.#blocks.get(index);
      if (block?.tool === undefined) return;
      block.args = true;
      yield makeChunk(base, { tool_calls: [{ index: block.tool, function: { arguments: String(d.partial_json) } }] });
    }
    // citations_delta has no place in a chat chunk
  }
}

/** An event as SSE text again: its name, and its data (one `data:` line per line of it). */
function frame(ev: SseEvent): string {
  const data = ev.data.indexOf('\n') === -1 ? `data: ${ev.data}\n` : `data: ${ev.data.split('\n').join('\ndata: ')}\n`;
  return ev.event === undefined ? `${data}\n` : `event: ${ev.event}\n${data}\n`;
}
