import { customInput } from './custom-tools.js';

/** What comes before the input's text in `{"input":"...`; whitespace may stand before four of its characters. */
const OPENING = '{"input":"';
const SPACE_BEFORE = new Set([0, 1, 8, 9]);
const SIMPLE: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

const isSpace = (c: string) => c === ' ' || c === '\n' || c === '\r' || c === '\t';

/**
 * A custom tool call's input while its arguments stream in as fragments of `{"input": "..."}`:
 * each fragment gives the text it adds, decoded (escapes split across fragments are held until
 * whole). Arguments of another shape give nothing as they come; `rest` then gives it all at the
 * end, as does anything the fragments left undecided.
 */
export class StreamedInput {
  /** How much of OPENING was read; OPENING.length once inside the string, -1 after it or on giving up. */
  #at = 0;
  #escape = '';
  #held = '';
  #sent = '';

  /** The input as given so far (a stream cut short keeps this much). */
  get sent(): string {
    return this.#sent;
  }

  /** The text this fragment of the arguments adds to the input ('' if none yet). */
  push(fragment: string): string {
    let out = this.#held;
    this.#held = '';
    for (let i = 0; i < fragment.length && this.#at >= 0; i++) {
      const c = fragment[i];
      if (this.#at < OPENING.length) {
        if (c === OPENING[this.#at]) this.#at++;
        else if (!(isSpace(c) && SPACE_BEFORE.has(this.#at))) this.#at = -1; // another shape: all at the end
      } else if (this.#escape) {
        this.#escape += c;
        if (this.#escape.length === 2 && c !== 'u') {
          const decoded = SIMPLE[c];
          if (decoded === undefined) this.#at = -1;
          else out += decoded;
          this.#escape = '';
        } else if (this.#escape.length === 6) {
          const code = Number.parseInt(this.#escape.slice(2), 16);
          if (!/^[0-9a-fA-F]{4}$/.test(this.#escape.slice(2))) this.#at = -1;
          else out += String.fromCharCode(code);
          this.#escape = '';
        }
      } else if (c === '\\') this.#escape = c;
      else if (c === '"') this.#at = -1; // the input's end: what follows is not input
      else out += c;
    }
    // Half a surrogate pair waits for its other half, so no delta carries a lone one.
    const last = out.charCodeAt(out.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      this.#held = out.slice(-1);
      out = out.slice(0, -1);
    }
    this.#sent += out;
    return out;
  }

  /**
   * The whole input from the whole arguments, and what of it was not yet given: everything when
   * the arguments were not `{"input": ...}` as it streamed, nothing when the decoded text already
   * is the input.
   */
  rest(args: string): { input: string; rest: string } {
    const input = customInput(args);
    const rest = input.startsWith(this.#sent) ? input.slice(this.#sent.length) : '';
    this.#sent = input;
    return { input, rest };
  }
}
