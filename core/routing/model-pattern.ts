/**
 * A `models:` key with `*` in it (`claude-*`, `gpt-5*`, `*-latest`, `*`): a glob where `*` stands
 * for any run of characters and nothing else is special. Matched with prefix, suffix and
 * left-to-right `indexOf` checks, which is exact for `*`-only globs and linear in the name: no
 * regular expression, so no backtracking on a name a client chose.
 */
export class ModelPattern {
  readonly #parts: string[];
  /** How many characters the pattern fixes: more is more specific. */
  readonly literalLength: number;

  constructor(readonly source: string) {
    this.#parts = source.split('*');
    this.literalLength = source.length - (this.#parts.length - 1);
  }

  static isPattern(id: string): boolean {
    return id.includes('*');
  }

  /** The lone `*`: every name. */
  get catchAll(): boolean {
    return this.literalLength === 0;
  }

  matches(name: string): boolean {
    const parts = this.#parts;
    if (name.length < this.literalLength) return false;
    const first = parts[0];
    const last = parts[parts.length - 1];
    if (!name.startsWith(first) || !name.endsWith(last)) return false;
    let pos = first.length;
    const end = name.length - last.length;
    for (let i = 1; i < parts.length - 1; i++) {
      const part = parts[i];
      if (!part) continue;
      const at = name.indexOf(part, pos);
      if (at === -1 || at + part.length > end) return false;
      pos = at + part.length;
    }
    return pos <= end;
  }
}

/**
 * Patterns in the order they are tried: the most specific first (the most fixed characters),
 * then config order. `claude-sonnet-*` beats `claude-*`, which beats `*`.
 */
export function bySpecificity<T extends { pattern: ModelPattern }>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => b.pattern.literalLength - a.pattern.literalLength);
}
