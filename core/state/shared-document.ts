/**
 * The state document as a set of hashes, the shape a shared store keeps: one per credential
 * record (`r:<provider>:<credential>`, see core/state/record-fields.ts) and one per provider for
 * the adaptive rate estimates (`a:<provider>`, a field per model). Each hash knows how to read
 * itself off the live document and how to lay a newer copy back onto it, in place.
 */
import { hydrateAdaptive, type AdaptiveRecord } from './adaptive-record.js';
import { isCounterField, recordFields, recordFromFields, stableJson } from './record-fields.js';
import { freshRecord, replaceRecord, type CredentialRecord } from './records.js';
import { hydrateChanges } from './credential-changes.js';
import type { Fields } from './field-merge.js';
import type { StateDocument } from './store.js';

export interface SharedHash {
  /** Its key (under the store's prefix). */
  readonly name: string;
  readonly provider: string;
  /** `r`: one credential's record; `a`: the provider's estimates (they move with any credential's outcome); `k`: its added/removed credentials. */
  readonly kind: 'r' | 'a' | 'k';
  /** For a record: whose. */
  readonly credential?: string;
  /** What it holds, for the index read at start-up: `["r", provider, credential]` or `["a", provider]`. */
  meta(): string;
  fields(): Fields;
  /** What a field missing from the shared copy means: a fresh record's values. */
  readonly defaults: Fields;
  adopt(fields: Fields): void;
  isCounter(field: string): boolean;
  /** A field that changes only when the whole hash is reset here: then it is sent as a reset. */
  readonly resetField?: string;
}

const never = () => false;

const NO_FIELDS: Fields = new Map();
const FRESH_RECORD: Fields = recordFields(freshRecord());

/** Every hash of the live document. `onCredentials`: another instance changed a provider's credentials. */
export function documentHashes(data: StateDocument, onCredentials: (provider: string) => void): SharedHash[] {
  const out: SharedHash[] = [];
  for (const [provider, changes] of Object.entries(data.credentials ?? {})) {
    out.push(
      jsonHash('k', provider, changes, (f) => {
        const fresh = hydrateChanges(parsed(f));
        for (const key of Object.keys(changes)) delete changes[key];
        Object.assign(changes, fresh);
        onCredentials(provider);
      }),
    );
  }
  for (const [provider, section] of Object.entries(data.pools)) {
    for (const [credential, record] of Object.entries(section as Record<string, CredentialRecord>)) {
      out.push({
        name: `r:${provider}:${credential}`,
        provider,
        kind: 'r',
        credential,
        meta: () => JSON.stringify(['r', provider, credential]),
        fields: () => recordFields(record),
        defaults: FRESH_RECORD,
        adopt: (f) => replaceRecord(record, recordFromFields(f)),
        isCounter: isCounterField,
        resetField: 'statsSince',
      });
    }
  }
  for (const [provider, section] of Object.entries(data.observed ?? {}) as [string, Record<string, AdaptiveRecord>][]) {
    out.push(jsonHash('a', provider, section, (f) => adoptAdaptive(section, f)));
  }
  return out;
}

/** A provider's section kept as one JSON value per key (no counters: the latest write wins). */
function jsonHash(kind: 'k' | 'a', provider: string, section: Record<string, unknown>, adopt: (f: Fields) => void): SharedHash {
  return {
    name: `${kind}:${provider}`,
    provider,
    kind,
    meta: () => JSON.stringify([kind, provider]),
    fields: () => new Map(Object.entries(section).map(([key, v]) => [key, stableJson(v)])),
    defaults: NO_FIELDS,
    adopt,
    isCounter: never,
  };
}

/** The fields of a JSON-valued hash, parsed (an unreadable value becomes undefined, for hydration to drop). */
function parsed(f: Fields): Record<string, unknown> {
  const out = Object.create(null) as Record<string, unknown>;
  for (const [key, text] of f) out[key] = parse(text);
  return out;
}

function adoptAdaptive(section: Record<string, AdaptiveRecord>, f: Fields): void {
  for (const model of Object.keys(section)) if (!f.has(model)) delete section[model];
  for (const [model, text] of f) {
    const r = hydrateAdaptive(parse(text), Date.now());
    if (!r) continue;
    if (Object.hasOwn(section, model)) Object.assign(section[model], r);
    else section[model] = r;
  }
}

/** Put one hash read at start-up into the document; false if its index entry is not understood. */
export function loadHash(data: StateDocument, meta: string, fields: Fields): boolean {
  const m = parse(meta);
  if (!Array.isArray(m) || typeof m[1] !== 'string') return false;
  const provider = m[1];
  if (m[0] === 'r' && typeof m[2] === 'string') {
    const section = (data.pools[provider] ??= Object.create(null) as Record<string, unknown>);
    section[m[2]] = recordFromFields(fields);
    return true;
  }
  if (m[0] === 'k') {
    (data.credentials ??= {})[provider] = hydrateChanges(parsed(fields));
    return true;
  }
  if (m[0] === 'a') {
    (data.observed ??= {})[provider] = parsed(fields);
    return true;
  }
  return false;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
