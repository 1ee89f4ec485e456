import { iso, observedView, type AdaptiveRecord, type ObservedView, type ProviderHandle } from '../../core/index.js';

/** One model of one provider: the adaptive estimate and each token's observations. */
export interface ModelLimits {
  /** Requests per minute Switchboard estimates the upstream takes; null until something was learned. */
  guess: number | null;
  /** The upstream's advertised request limit (`x-ratelimit-limit-requests`), if seen. */
  hardCap: number | null;
  last429At: string | null;
  updated_at: string | null;
  provider: string;
  /** The upstream model id (the key may be `<provider>/<model>`, see below). */
  model: string;
  tokens: Record<string, ObservedView>;
}

const latest = (...xs: (number | null | undefined)[]): number | null => {
  const known = xs.filter((x): x is number => typeof x === 'number');
  return known.length ? Math.max(...known) : null;
};

/** One provider's models, from its adaptive estimates and its tokens' observed limits. */
export function providerLimits(handle: ProviderHandle): Map<string, ModelLimits> {
  const section = handle.pool.adaptive.section;
  const snapshot = handle.pool.snapshot();
  const models = new Set(Object.keys(section));
  for (const c of snapshot) for (const [m, r] of Object.entries(c.models)) if (r.observed) models.add(m);
  const out = new Map<string, ModelLimits>();
  for (const model of models) {
    const a: AdaptiveRecord | undefined = Object.hasOwn(section, model) ? section[model] : undefined;
    const seen = snapshot.flatMap((c, index) => {
      const m = Object.hasOwn(c.models, model) ? c.models[model] : undefined;
      return m?.observed ? [{ c, index, o: m.observed, spent: m.quotaSpent }] : [];
    });
    // Null-prototype maps: a model or token named `__proto__` stays an entry.
    const tokens = Object.create(null) as Record<string, ObservedView>;
    for (const { c, index, o, spent } of seen) {
      // Two masked secrets can look alike (same prefix and last four): keep both.
      const key = Object.hasOwn(tokens, c.id) ? `${c.id}#${index}` : c.id;
      tokens[key] = observedView(o, spent);
    }
    out.set(model, {
      guess: a?.guess ?? null,
      hardCap: a?.hardCap ?? null,
      last429At: iso(a?.last429At ?? latest(...seen.map((s) => s.o.last429At))),
      updated_at: iso(latest(a?.updatedAt, ...seen.map((s) => s.o.updatedAt))),
      provider: handle.id,
      model,
      tokens,
    });
  }
  return out;
}

/**
 * Every selected provider's models under one object. Keys are bare model ids; when a later
 * provider has a model an earlier one already listed, its entry is keyed `<provider>/<model>`.
 */
export function observedData(handles: readonly ProviderHandle[]): Record<string, ModelLimits> {
  const data = Object.create(null) as Record<string, ModelLimits>;
  for (const h of handles) {
    for (const [model, limits] of providerLimits(h)) {
      const key = Object.hasOwn(data, model) ? `${h.id}/${model}` : model;
      data[key] = limits;
    }
  }
  return data;
}
