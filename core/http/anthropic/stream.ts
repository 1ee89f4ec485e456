import type { ChatChunk } from '../../contract/openai.js';
import { peekChunk } from '../../contract/raw.js';
import { nativeOutput } from '../../contract/native.js';
import type { GatewayError } from '../../errors/gateway-error.js';
import type { EventSink, StreamRenderer } from '../chat-format.js';
import { anthropicError } from './errors.js';
import { TextDeltaScanner } from '../text-delta.js';
import { messageId, stopReasonOf, toolUseId, usageOf } from './message.js';
import type { AnthropicUsage, StopReason } from './types.js';

type Kind = 'thinking' | 'text' | 'tool_use';

const q = JSON.stringify;
const TEXT_DELTA_HEAD = 'event: content_block_delta\ndata: {"type":"content_block_delta","index":';
const TEXT_DELTA_MID = ',"delta":{"type":"text_delta","text":"';

/**
 * One streamed answer as Anthropic's events. Content blocks open as the canonical deltas need them
 * and close when another kind starts (or another tool call), so their indexes count up like
 * Anthropic's; the stop reason and usage wait for the end, since OpenAI sends usage last.
 */
export class AnthropicStream implements StreamRenderer {
  #started = false;
  /** The upstream's own events are being passed through. */
  #native = false;
  #index = -1;
  #open: Kind | undefined;
  /** OpenAI tool-call index -> content block index, for fragments of a call already closed. */
  #tools = new Map<number, number>();
  #finish: string | null = null;
  #matched: unknown;
  #usage: AnthropicUsage | undefined;
  readonly #deltas = new TextDeltaScanner();

  constructor(
    private readonly model: string,
    private readonly stopSequences: readonly string[] | undefined,
  ) {}

  chunk(raw: ChatChunk, out: EventSink): void {
    if (this.#native) {
      const frames = nativeOutput(raw);
      if (frames) out.frames(frames);
      return;
    }
    if (!this.#started) {
      // An upstream that speaks Messages itself sent its own events: they go out as they came.
      const frames = nativeOutput(raw);
      if (frames !== undefined) {
        this.#native = true;
        if (frames) out.frames(frames);
        return;
      }
      this.#start(out);
    }
    // Most chunks are a bare text delta: found by a string scan and copied on still escaped.
    const literal = this.#deltas.literal(raw);
    if (literal !== undefined) {
      if (literal) this.#text(literal, out);
      return;
    }
    const finish = this.#deltas.finish(raw);
    if (finish !== undefined) {
      this.#finish = finish;
      return;
    }
    const c = peekChunk(raw);
    if (c.usage) this.#usage = usageOf(c.usage);
    const choice = c.choices?.[0];
    if (!choice) return;
    const d = choice.delta;
    if (d) {
      if (typeof d.reasoning_content === 'string' && d.reasoning_content) {
        this.#enter('thinking', out);
        out.event('content_block_delta', `{"type":"content_block_delta","index":${this.#index},"delta":{"type":"thinking_delta","thinking":${q(d.reasoning_content)}}}`);
      }
      if (typeof d.content === 'string' && d.content) this.#text(q(d.content).slice(1, -1), out);
      if (d.tool_calls) for (const t of d.tool_calls) this.#tool(t, out);
    }
    if (choice.finish_reason) {
      this.#finish = choice.finish_reason;
      this.#matched = (choice as { stop_reason?: unknown }).stop_reason;
    }
  }

  done(out: EventSink): void {
    if (this.#native) return; // message_stop came with the upstream's events
    if (!this.#started) this.#start(out);
    this.#close(out);
    const stop = stopReasonOf(this.#finish, this.#matched, this.stopSequences);
    const usage = this.#usage ?? { input_tokens: 0, output_tokens: 0 };
    // Written out: Node 20's JSON.stringify costs about 100 ns a property, and every answer ends so.
    const sequence = stop.sequence === null ? 'null' : q(stop.sequence);
    out.event('message_delta', `{"type":"message_delta","delta":{"stop_reason":"${stop.reason satisfies StopReason}","stop_sequence":${sequence}},"usage":${q(usage)}}`);
    out.event('message_stop', '{"type":"message_stop"}');
  }

  fail(error: GatewayError, out: EventSink): void {
    out.event('error', q(anthropicError(error).body));
  }

  #start(out: EventSink): void {
    this.#started = true;
    const message = `{"id":"${messageId()}","type":"message","role":"assistant","model":${q(this.model)},"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}`;
    out.event('message_start', `{"type":"message_start","message":${message}}`);
    out.event('ping', '{"type":"ping"}');
  }

  /**
   * A text delta, as it stands inside a JSON string (escaped, no quotes): the bulk of a stream,
   * framed here in one template (an escaped text holds no raw line break).
   */
  #text(literal: string, out: EventSink): void {
    this.#enter('text', out);
    out.frames(`${TEXT_DELTA_HEAD}${this.#index}${TEXT_DELTA_MID}${literal}"}}\n\n`);
  }

  /** Make a block of `kind` the open one, closing another kind first. */
  #enter(kind: 'thinking' | 'text', out: EventSink): void {
    if (this.#open === kind) return;
    this.#close(out);
    this.#open = kind;
    this.#index++;
    const block = kind === 'text' ? '{"type":"text","text":""}' : '{"type":"thinking","thinking":"","signature":""}';
    out.event('content_block_start', `{"type":"content_block_start","index":${this.#index},"content_block":${block}}`);
  }

  #tool(t: { index: number; id?: string; function?: { name?: string; arguments?: string } }, out: EventSink): void {
    let block = this.#tools.get(t.index);
    if (block === undefined) {
      this.#close(out);
      this.#open = 'tool_use';
      block = ++this.#index;
      this.#tools.set(t.index, block);
      const start = { type: 'tool_use', id: t.id || toolUseId(), name: t.function?.name ?? '', input: {} };
      out.event('content_block_start', q({ type: 'content_block_start', index: block, content_block: start }));
    }
    const args = t.function?.arguments;
    if (args) out.event('content_block_delta', `{"type":"content_block_delta","index":${block},"delta":{"type":"input_json_delta","partial_json":${q(args)}}}`);
  }

  #close(out: EventSink): void {
    if (this.#open === undefined) return;
    out.event('content_block_stop', `{"type":"content_block_stop","index":${this.#index}}`);
    this.#open = undefined;
  }
}
