/**
 * How one instance's copy of a shared hash and the shared one meet: what to send (counters as
 * deltas since the last sync, values when they changed) and what to keep when the shared copy
 * comes back (the shared one, plus whatever changed here while the sync was on its way).
 */
export type Fields = Map<string, string>;

/** `i` add to a counter (`absent`: drop it at zero), `s` set a value, `d` delete a value, `r` clear all (a reset). */
export type FieldOp = ['i', string, number, 0 | 1] | ['s', string, string] | ['d', string] | ['r'];

const num = (s: string | undefined) => (s === undefined ? 0 : Number(s) || 0);

/** What turns `base` (the shared copy as last seen) into `local`. */
export function diffFields(local: Fields, base: Fields, isCounter: (field: string) => boolean): FieldOp[] {
  const ops: FieldOp[] = [];
  for (const [f, v] of local) {
    const b = base.get(f);
    if (v === b) continue;
    if (isCounter(f)) {
      const delta = num(v) - num(b);
      if (delta !== 0) ops.push(['i', f, delta, 0]);
    } else ops.push(['s', f, v]);
  }
  for (const [f, b] of base) {
    if (local.has(f)) continue;
    if (!isCounter(f)) ops.push(['d', f]);
    else if (num(b) !== 0) ops.push(['i', f, -num(b), 1]); // a reset: take back what this copy had
  }
  return ops;
}

/**
 * The copy to keep: `shared` as the store returned it, with the changes made here since `sent`
 * was taken (counters: their growth added; values: the local one wins) laid over it.
 */
export function mergeFields(shared: Fields, sent: Fields, local: Fields, isCounter: (field: string) => boolean): Fields {
  const out = new Map(shared);
  for (const f of new Set([...sent.keys(), ...local.keys()])) {
    const s = sent.get(f);
    const l = local.get(f);
    if (s === l) continue;
    if (isCounter(f)) out.set(f, String(num(shared.get(f)) + num(l) - num(s)));
    else if (l === undefined) out.delete(f);
    else out.set(f, l);
  }
  return out;
}
