import { hydrateRecord, type CredentialRecord } from './records.js';

/**
 * A credential record as a flat list of fields, the shape a shared store keeps (a Redis hash):
 * counters, which several instances add to at once and must merge by sum, apart from values,
 * where the latest write wins. Model fields are `m|<model>|<name>`; failure counts by kind are
 * `#<kind>`. Values are JSON; counters are plain integers.
 */
export type RecordFields = Map<string, string>;

/** Fields that only count up (or are counted down by a reset): merged by adding deltas. */
const COUNTERS = new Set(['requests', 'successes', 'failures', 'tokensIn', 'tokensOut', 'quotaSpent']);

/** Whether a field is a counter (merged by sum) rather than a value (last write wins). */
export function isCounterField(field: string): boolean {
  const name = field.slice(field.lastIndexOf('|') + 1);
  return name.charCodeAt(0) === 35 /* # */ || COUNTERS.has(name);
}

export function recordFields(record: CredentialRecord): RecordFields {
  const out: RecordFields = new Map();
  put(out, '', record);
  for (const [model, m] of Object.entries(record.models)) put(out, `m|${model}|`, m);
  return out;
}

function put(out: RecordFields, prefix: string, o: object): void {
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || k === 'models') continue;
    if (k === 'failuresByKind') {
      for (const [kind, n] of Object.entries(v as Record<string, number>)) out.set(`${prefix}#${kind}`, String(n));
    } else out.set(prefix + k, COUNTERS.has(k) ? String(v) : stableJson(v));
  }
}

/** JSON with an object's keys in order: two copies of one value must give one text, or they would differ forever. */
export function stableJson(v: unknown): string {
  return v && typeof v === 'object' && !Array.isArray(v) ? JSON.stringify(v, Object.keys(v).sort()) : JSON.stringify(v);
}

/** The record these fields describe, checked field by field like any stored record. */
export function recordFromFields(fields: Iterable<[string, string]>): CredentialRecord {
  // No prototypes: a field name from the store must not reach Object.prototype.
  const bare = (): Record<string, unknown> => Object.assign(Object.create(null) as Record<string, unknown>, { failuresByKind: Object.create(null) });
  const raw = bare();
  const models = Object.create(null) as Record<string, Record<string, unknown>>;
  raw.models = models;
  for (const [field, text] of fields) {
    let target = raw;
    let name = field;
    if (field.startsWith('m|')) {
      const last = field.lastIndexOf('|');
      if (last < 2) continue;
      target = models[field.slice(2, last)] ??= bare();
      name = field.slice(last + 1);
    }
    if (name.charCodeAt(0) === 35) (target.failuresByKind as Record<string, number>)[name.slice(1)] = Number(text);
    else if (COUNTERS.has(name)) target[name] = Number(text);
    else target[name] = parse(text);
  }
  return hydrateRecord(raw);
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // hydrateRecord drops what it cannot read
  }
}
