import { customCallItem } from './custom-tools.js';
import { StreamedInput } from './streamed-input.js';
import type { OutputItem } from './types.js';

/** Writes one event: its type and the fields after `sequence_number`, as JSON text starting with a comma. */
type Emit = (type: string, fields: string) => void;

/**
 * The events of one streamed custom tool call, after its `response.output_item.added`: the
 * input decoded from the argument fragments as they come (`response.custom_tool_call_input.delta`),
 * then `response.custom_tool_call_input.done` with the whole input.
 */
export class CustomCallStream {
  readonly #input = new StreamedInput();

  constructor(
    private readonly id: string,
    private readonly index: number,
  ) {}

  /** The item as `response.output_item.added` shows it. */
  added(callId: string, name: string): OutputItem {
    return customCallItem(this.id, callId, name, '', 'in_progress');
  }

  /** A fragment of the arguments. */
  arguments(fragment: string, emit: Emit): void {
    const delta = this.#input.push(fragment);
    if (delta) emit('response.custom_tool_call_input.delta', this.#delta(delta));
  }

  /** The arguments are whole: what input is left, its `.done`, and the finished item. */
  done(args: string, callId: string, name: string, status: string, emit: Emit): OutputItem {
    const { input, rest } = this.#input.rest(args);
    if (rest) emit('response.custom_tool_call_input.delta', this.#delta(rest));
    emit('response.custom_tool_call_input.done', `,"item_id":"${this.id}","output_index":${this.index},"input":${JSON.stringify(input)}`);
    return customCallItem(this.id, callId, name, input, status);
  }

  /** The stream failed: the item as it stood. */
  abandoned(callId: string, name: string): OutputItem {
    return customCallItem(this.id, callId, name, this.#input.sent, 'incomplete');
  }

  #delta(delta: string): string {
    return `,"item_id":"${this.id}","output_index":${this.index},"delta":${JSON.stringify(delta)}`;
  }
}
