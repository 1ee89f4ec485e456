import type { Document, LineCounter } from 'yaml';

export type PathSegment = string | number;

/** `['providers', 0, 'plugin']` -> `providers[0].plugin` */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out || '(root)';
}

/** Collects config problems so start-up reports all of them at once, one line each. */
export class Problems {
  readonly items: { path: PathSegment[]; message: string }[] = [];

  constructor(
    private readonly doc?: Document,
    private readonly lines?: LineCounter,
  ) {}

  add(path: readonly PathSegment[], message: string): void {
    this.items.push({ path: [...path], message });
  }

  get size(): number {
    return this.items.length;
  }

  /** One line per problem: `providers[0].plugin: unknown plugin "x"; ... (line 7)`. */
  format(): string[] {
    return this.items.map(({ path, message }) => {
      const line = this.lineOf(path);
      return `${formatPath(path)}: ${message}${line ? ` (line ${line})` : ''}`;
    });
  }

  private lineOf(path: PathSegment[]): number | undefined {
    if (!this.doc || !this.lines) return undefined;
    // The deepest node that exists: a missing key is reported at its parent.
    for (let n = path.length; n > 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && typeof node === 'object' && node.range) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }
}
