import type { ChatChunk, Usage } from '../../contract/openai.js';
import { peekChunk } from '../../contract/raw.js';
import type { GatewayError } from '../../errors/gateway-error.js';
import { TextDeltaScanner } from '../text-delta.js';
import type { EventSink, StreamRenderer } from '../chat-format.js';
import { CustomCallStream } from './custom-call-stream.js';
import { ending, responseUsage, textPart, type ResponseShell } from './response-object.js';
import type { OutputItem, OutputPart, ResponseObject } from './types.js';

// Node 20's JSON.stringify costs about 100 ns a property: what every answer writes is written out.
const EMPTY_TEXT_PART = '{"type":"output_text","text":"","annotations":[],"logprobs":[]}';
// A text delta's SSE frame around its sequence number and its item's fields.
const DELTA_HEAD = 'event: response.output_text.delta\ndata: {"type":"response.output_text.delta","sequence_number":';
const DELTA_TAIL = '","logprobs":[]}\n\n';

interface Reasoning { kind: 'reasoning'; index: number; id: string; text: string }
interface Message {
  kind: 'message';
  index: number;
  id: string;
  /** The text so far as it stands inside a JSON string (escaped), as the deltas carry it. */
  literal: string;
  textAt: number;
  /** The start of each text delta event's fields, the same for all of them. */
  deltaHead: string;
  refusal: string;
  refusalAt: number;
  parts: number;
}
interface Call { index: number; id: string; callId: string; name: string; args: string; open: boolean; custom?: CustomCallStream }

/**
 * A canonical chunk stream as Responses events. Chat deltas carry reasoning, text and tool-call
 * fragments side by side; the Responses stream has one output item at a time (reasoning, message,
 * function calls), so a delta of another kind closes the item before it. Every event carries the
 * next `sequence_number`. Delta events, the bulk of a stream, are written as text, not objects.
 */
export class ResponsesStream implements StreamRenderer {
  #seq = 0;
  #started = false;
  #output: OutputItem[] = [];
  /** Each closed item of {@link #output} as the JSON its `output_item.done` carried. */
  #outputJson: string[] = [];
  #open: Reasoning | Message | 'calls' | undefined;
  #calls = new Map<number, Call>();
  #finish: string | null = null;
  #usage: Usage | null | undefined;
  readonly #deltas = new TextDeltaScanner();

  constructor(
    private readonly shell: ResponseShell,
    /** Told the final response of a stream that ended normally (and its JSON), before its last event is written. */
    private readonly onEnd?: (response: ResponseObject, json: string) => void,
  ) {}

  chunk(chunk: ChatChunk, out: EventSink): void {
    if (!this.#started) this.#start(out);
    // Most chunks are a bare text delta: read by a string scan, not parsed, and copied into the
    // event still escaped.
    const literal = this.#deltas.literal(chunk);
    if (literal !== undefined) {
      if (literal) this.#text(literal, out);
      return;
    }
    const finish = this.#deltas.finish(chunk);
    if (finish !== undefined) {
      this.#finish = finish;
      return;
    }
    const c = peekChunk(chunk);
    if (c.usage) this.#usage = c.usage;
    const choice = c.choices?.find((ch) => ch.index === 0);
    if (!choice) return;
    const d = choice.delta;
    if (d) {
      if (typeof d.reasoning_content === 'string' && d.reasoning_content) this.#reasoning(d.reasoning_content, out);
      if (typeof d.content === 'string' && d.content) this.#text(JSON.stringify(d.content).slice(1, -1), out);
      if (typeof d.refusal === 'string' && d.refusal) this.#refusal(d.refusal, out);
      if (d.tool_calls) for (const t of d.tool_calls) this.#tool(t, out);
    }
    if (choice.finish_reason) this.#finish = choice.finish_reason;
  }

  done(out: EventSink): void {
    if (!this.#started) this.#start(out);
    const end = ending(this.#finish);
    this.#close(out, end.status === 'incomplete' ? 'incomplete' : 'completed');
    if (!this.#output.length) {
      // An empty answer is still a message, as in the non-streaming response.
      this.#text('', out, true);
      this.#close(out, end.status === 'incomplete' ? 'incomplete' : 'completed');
    }
    const usage = responseUsage(this.#usage);
    const extra = { incomplete_details: end.incomplete_details };
    const json = this.shell.json(end.status, `[${this.#outputJson.join(',')}]`, usage, extra);
    this.onEnd?.(this.shell.object(end.status, this.#output, usage, extra), json);
    const type = end.status === 'incomplete' ? 'response.incomplete' : 'response.completed';
    this.#emit(out, type, `,"response":${json}`);
  }

  fail(error: GatewayError, out: EventSink): void {
    if (!this.#started) this.#start(out);
    this.#abandon();
    const code = error.code ?? error.type;
    this.#emit(out, 'error', `,"code":${JSON.stringify(code)},"message":${JSON.stringify(error.message)},"param":${JSON.stringify(error.param)}`);
    const response = this.shell.object('failed', this.#output, responseUsage(this.#usage), { error: { code, message: error.message } });
    this.#emit(out, 'response.failed', `,"response":${JSON.stringify(response)}`);
  }

  /**
   * One event, framed here: every value in `fields` is JSON text (serialised, or an escaped text
   * the scan checked), so it holds no raw line break and needs no splitting into `data:` lines.
   */
  #emit(out: EventSink, type: string, fields: string): void {
    out.frames(`event: ${type}\ndata: {"type":"${type}","sequence_number":${this.#seq++}${fields}}\n\n`);
  }

  #emitTo(out: EventSink): (type: string, fields: string) => void {
    return (type, fields) => this.#emit(out, type, fields);
  }

  #start(out: EventSink): void {
    this.#started = true;
    const response = this.shell.json('in_progress', '[]', null);
    this.#emit(out, 'response.created', `,"response":${response}`);
    this.#emit(out, 'response.in_progress', `,"response":${response}`);
  }

  /** An item closed: kept for the final response, with its JSON, and announced. */
  #itemDone(out: EventSink, index: number, item: OutputItem, json = JSON.stringify(item)): void {
    this.#output[index] = item;
    this.#outputJson[index] = json;
    this.#emit(out, 'response.output_item.done', `,"output_index":${index},"item":${json}`);
  }

  #added(out: EventSink, item: OutputItem, index: number, json = JSON.stringify(item)): void {
    this.#output[index] = item;
    this.#emit(out, 'response.output_item.added', `,"output_index":${index},"item":${json}`);
  }

  #reasoning(delta: string, out: EventSink): void {
    let r = this.#open;
    if (typeof r !== 'object' || r.kind !== 'reasoning') {
      this.#close(out, 'completed');
      r = this.#open = { kind: 'reasoning', index: this.#output.length, id: this.shell.itemId('rs'), text: '' };
      this.#added(out, { id: r.id, type: 'reasoning', summary: [] }, r.index);
      this.#emit(out, 'response.reasoning_summary_part.added', `,"item_id":"${r.id}","output_index":${r.index},"summary_index":0,"part":{"type":"summary_text","text":""}`);
    }
    r.text += delta;
    this.#emit(out, 'response.reasoning_summary_text.delta', `,"item_id":"${r.id}","output_index":${r.index},"summary_index":0,"delta":${JSON.stringify(delta)}`);
  }

  #message(out: EventSink): Message {
    const m = this.#open;
    if (typeof m === 'object' && m.kind === 'message') return m;
    this.#close(out, 'completed');
    const msg: Message = { kind: 'message', index: this.#output.length, id: this.shell.itemId('msg'), literal: '', textAt: -1, deltaHead: '', refusal: '', refusalAt: -1, parts: 0 };
    this.#open = msg;
    this.#added(out, { id: msg.id, type: 'message', status: 'in_progress', role: 'assistant', content: [] }, msg.index, `{"id":"${msg.id}","type":"message","status":"in_progress","role":"assistant","content":[]}`);
    return msg;
  }

  #part(out: EventSink, m: Message, part: OutputPart): number {
    const at = m.parts++;
    this.#emit(out, 'response.content_part.added', `,"item_id":"${m.id}","output_index":${m.index},"content_index":${at},"part":${part.type === 'output_text' && !part.text ? EMPTY_TEXT_PART : JSON.stringify(part)}`);
    return at;
  }

  /** A text delta, given as it stands inside a JSON string (escaped, no quotes). */
  #text(literal: string, out: EventSink, opening = false): void {
    const m = this.#message(out);
    if (m.textAt < 0) {
      m.textAt = this.#part(out, m, textPart(''));
      m.deltaHead = `,"item_id":"${m.id}","output_index":${m.index},"content_index":${m.textAt},"delta":"`;
    }
    if (opening) return;
    m.literal += literal;
    // The bulk of a stream: one template, as #emit would frame it.
    out.frames(`${DELTA_HEAD}${this.#seq++}${m.deltaHead}${literal}${DELTA_TAIL}`);
  }

  #refusal(delta: string, out: EventSink): void {
    const m = this.#message(out);
    if (m.refusalAt < 0) m.refusalAt = this.#part(out, m, { type: 'refusal', refusal: '' });
    m.refusal += delta;
    this.#emit(out, 'response.refusal.delta', `,"item_id":"${m.id}","output_index":${m.index},"content_index":${m.refusalAt},"delta":${JSON.stringify(delta)}`);
  }

  #tool(t: { index: number; id?: string; function?: { name?: string; arguments?: string } }, out: EventSink): void {
    let call = this.#calls.get(t.index);
    if (!call) {
      if (this.#open !== 'calls') this.#close(out, 'completed');
      this.#open = 'calls';
      const name = t.function?.name ?? '';
      // A custom tool is told by the name in the call's first fragment, where upstreams send it.
      const custom = this.shell.customTools.has(name);
      const index = this.#output.length;
      const id = this.shell.itemId(custom ? 'ctc' : 'fc');
      call = { index, id, callId: t.id ?? '', name, args: '', open: true, custom: custom ? new CustomCallStream(id, index) : undefined };
      this.#calls.set(t.index, call);
      this.#added(out, call.custom?.added(call.callId, name) ?? { id, type: 'function_call', status: 'in_progress', call_id: call.callId, name, arguments: '' }, index);
    } else {
      if (!call.open) return; // a fragment after its call closed: providers send a call's fragments together
      if (t.id && !call.callId) call.callId = t.id;
      if (t.function?.name && t.function.name !== call.name) call.name += t.function.name;
    }
    const args = t.function?.arguments;
    if (!args) return;
    call.args += args;
    if (call.custom) call.custom.arguments(args, this.#emitTo(out));
    else this.#emit(out, 'response.function_call_arguments.delta', `,"item_id":"${call.id}","output_index":${call.index},"delta":${JSON.stringify(args)}`);
  }

  /** Finish the open item: its `.done` events and `response.output_item.done`. */
  #close(out: EventSink, status: 'completed' | 'incomplete'): void {
    const o = this.#open;
    this.#open = undefined;
    if (o === undefined) return;
    if (o === 'calls') {
      for (const call of this.#calls.values()) {
        if (!call.open) continue;
        call.open = false;
        if (call.custom) {
          this.#itemDone(out, call.index, call.custom.done(call.args, call.callId, call.name, status, this.#emitTo(out)));
          continue;
        }
        this.#emit(out, 'response.function_call_arguments.done', `,"item_id":"${call.id}","output_index":${call.index},"name":${JSON.stringify(call.name)},"arguments":${JSON.stringify(call.args)}`);
        this.#itemDone(out, call.index, { id: call.id, type: 'function_call', status, call_id: call.callId, name: call.name, arguments: call.args });
      }
      return;
    }
    if (o.kind === 'reasoning') {
      const text = JSON.stringify(o.text);
      const head = `,"item_id":"${o.id}","output_index":${o.index},"summary_index":0`;
      this.#emit(out, 'response.reasoning_summary_text.done', `${head},"text":${text}`);
      this.#emit(out, 'response.reasoning_summary_part.done', `${head},"part":{"type":"summary_text","text":${text}}`);
      this.#itemDone(out, o.index, { id: o.id, type: 'reasoning', summary: [{ type: 'summary_text', text: o.text }] });
      return;
    }
    const parts = this.#parts(o);
    const partsJson: string[] = [];
    parts.forEach((part, at) => {
      const head = `,"item_id":"${o.id}","output_index":${o.index},"content_index":${at}`;
      // The text part is written from the escaped text the deltas carried: not serialised again.
      let json: string;
      if (part.type === 'output_text') {
        this.#emit(out, 'response.output_text.done', `${head},"text":"${o.literal}","logprobs":[]`);
        json = `{"type":"output_text","text":"${o.literal}","annotations":[],"logprobs":[]}`;
      } else {
        this.#emit(out, 'response.refusal.done', `${head},"refusal":${JSON.stringify(part.refusal)}`);
        json = JSON.stringify(part);
      }
      partsJson[at] = json;
      this.#emit(out, 'response.content_part.done', `${head},"part":${json}`);
    });
    const item: OutputItem = { id: o.id, type: 'message', status, role: 'assistant', content: parts };
    this.#itemDone(out, o.index, item, `{"id":"${o.id}","type":"message","status":"${status}","role":"assistant","content":[${partsJson.join(',')}]}`);
  }

  /** The message's parts, at the content indexes they were opened with. */
  #parts(m: Message): OutputPart[] {
    const parts: OutputPart[] = [];
    if (m.textAt >= 0) parts[m.textAt] = textPart(m.literal.indexOf('\\') === -1 ? m.literal : (JSON.parse(`"${m.literal}"`) as string));
    if (m.refusalAt >= 0) parts[m.refusalAt] = { type: 'refusal', refusal: m.refusal };
    return parts;
  }

  /** On failure: what was open goes into the failed response as it stood, marked incomplete. */
  #abandon(): void {
    const o = this.#open;
    this.#open = undefined;
    if (o === undefined) return;
    if (o === 'calls') {
      for (const call of this.#calls.values()) {
        if (!call.open) continue;
        this.#output[call.index] = call.custom?.abandoned(call.callId, call.name) ?? { id: call.id, type: 'function_call', status: 'incomplete', call_id: call.callId, name: call.name, arguments: call.args };
      }
    } else if (o.kind === 'reasoning') {
      this.#output[o.index] = { id: o.id, type: 'reasoning', summary: [{ type: 'summary_text', text: o.text }] };
    } else {
      this.#output[o.index] = { id: o.id, type: 'message', status: 'incomplete', role: 'assistant', content: this.#parts(o) };
    }
  }
}
