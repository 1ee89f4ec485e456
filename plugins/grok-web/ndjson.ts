/**
 * Splits Grok's response body into JSON frames: one object per line, some servers prefix
 * `data: ` and end with `[DONE]`; a line may arrive in pieces.
 */
export class NdjsonLines {
  #rest = '';

  /** The complete lines in `text` (plus what was held back), parsed; an unparseable line throws. */
  feed(text: string): unknown[] {
    const all = this.#rest + text;
    const lines = all.split('\n');
    this.#rest = lines.pop() ?? '';
    return lines.map(parseLine).filter((v) => v !== undefined);
  }

  /** Whatever was left without a final newline. */
  end(): unknown[] {
    const last = parseLine(this.#rest);
    this.#rest = '';
    return last === undefined ? [] : [last];
  }
}

function parseLine(raw: string): unknown {
  let line = raw.trim();
  if (line.startsWith('data:')) line = line.slice(5).trim();
  if (!line || line === '[DONE]') return undefined;
  try {
    return JSON.parse(line);
  } catch {
    throw new SyntaxError(`Grok sent a line that is not JSON: ${line.slice(0, 200)}`);
  }
}
