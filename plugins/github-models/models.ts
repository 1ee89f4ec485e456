import { UpstreamError, type ModelInfo } from '../../core/index.js';

/** One entry of `GET /catalog/models`. */
export interface CatalogEntry {
  id: string;
  name?: string;
  publisher?: string;
  registry?: string;
  summary?: string;
  html_url?: string;
  version?: string;
  capabilities?: string[];
  limits?: { max_input_tokens?: number | null; max_output_tokens?: number | null };
  rate_limit_tier?: string;
  supported_input_modalities?: string[];
  supported_output_modalities?: string[];
  tags?: string[];
}

/** `GET /catalog/models` answers a JSON array (some mirrors wrap it in `{ data }`). */
export function parseCatalog(text: string): CatalogEntry[] {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw UpstreamError.malformed('the model catalog is not JSON', text);
  }
  if (Array.isArray(body)) return body as CatalogEntry[];
  const data = (body as { data?: unknown } | null)?.data;
  if (Array.isArray(data)) return data as CatalogEntry[];
  throw UpstreamError.malformed('the model catalog is not a list', text);
}

/** The catalog as model listings: `openai/gpt-4o-mini`, also answering to `gpt-4o-mini`. */
export function toModelInfo(list: CatalogEntry[]): ModelInfo[] {
  return list
    .filter((m) => m && typeof m.id === 'string')
    .map((m) => {
      const slash = m.id.indexOf('/');
      const info: ModelInfo = {
        id: m.id,
        owned_by: m.publisher ?? (slash > 0 ? m.id.slice(0, slash) : 'github'),
        name: m.name,
        capabilities: m.capabilities,
        limits: m.limits,
        rate_limit_tier: m.rate_limit_tier,
        supported_input_modalities: m.supported_input_modalities,
        supported_output_modalities: m.supported_output_modalities,
      };
      if (slash > 0) info.aliases = [m.id.slice(slash + 1)];
      return info;
    });
}

/** Model families that refuse `max_tokens` and want `max_completion_tokens`. */
const REASONING = /(^|\/)(o\d|gpt-5)/i;

/**
 * Resolves what clients call a model to the catalog id (`gpt-4o-mini` -> `openai/gpt-4o-mini`),
 * and knows which models need `max_completion_tokens`.
 */
export class ModelNames {
  #byBare = new Map<string, string>();
  #reasoning = new Set<string>();

  update(list: ModelInfo[]): void {
    const byBare = new Map<string, string>();
    const reasoning = new Set<string>();
    for (const m of list) {
      for (const a of m.aliases ?? []) if (!byBare.has(a)) byBare.set(a, m.id);
      const caps = m.capabilities;
      if (Array.isArray(caps) && caps.includes('reasoning')) reasoning.add(m.id);
    }
    this.#byBare = byBare;
    this.#reasoning = reasoning;
  }

  /** The catalog id for a client's model name; unknown names go upstream as they are. */
  upstreamId(model: string): string {
    return this.#byBare.get(model) ?? model;
  }

  needsCompletionTokens(id: string): boolean {
    return this.#reasoning.has(id) || REASONING.test(id);
  }
}
