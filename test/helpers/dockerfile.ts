/**
 * A small Dockerfile reader for the tests: the instructions with their continuation lines joined,
 * grouped by stage, and the ENV they set. Enough for this repository's Dockerfile (test/deploy-files
 * reads its properties, test/package.test replays its runtime stage), not a general parser.
 */

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions with their continuation lines joined; comments and parser directives skipped. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*(#|$)/.test(lines[i])) continue;
    const start = i;
    let joined = lines[i];
    while (/\\\s*$/.test(joined) && i + 1 < lines.length) {
      joined = joined.replace(/\\\s*$/, ' ');
      i++;
      if (!/^\s*#/.test(lines[i])) joined += lines[i];
    }
    const m = /^\s*(\S+)\s*(.*)$/.exec(joined)!;
    out.push({ keyword: m[1].toUpperCase(), args: m[2].replace(/\s+/g, ' ').trim(), line: start + 1 });
  }
  return out;
}

/** Stages: each FROM and the instructions up to the next. */
export function stages(all: Instruction[]): { from: string; name?: string; body: Instruction[] }[] {
  const out: { from: string; name?: string; body: Instruction[] }[] = [];
  for (const ins of all) {
    if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?: AS (\S+))?$/i.exec(ins.args)!;
      out.push({ from: m[1], name: m[2], body: [] });
    } else out.at(-1)?.body.push(ins);
  }
  return out;
}

/** `KEY=value` pairs of ENV instructions (the `KEY=value KEY2=value2` form). */
export function envOf(body: Instruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of body.filter((i) => i.keyword === 'ENV')) {
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) env[m[1]] = m[2].replace(/^"|"$/g, '');
  }
  return env;
}
