import { CallSignal, parseJsonObject, headerValue, type Credential, type ModelInfo } from '../../core/index.js';
import type { AnthropicClient } from './client.js';

interface ModelPage {
  data?: { id?: unknown; display_name?: unknown; created_at?: unknown }[];
  has_more?: boolean;
  last_id?: string | null;
}

/** Pages followed at most; Anthropic lists a few dozen models, 1000 to a page. */
const MAX_PAGES = 10;

/** `GET /v1/models`, every page (`has_more`, `after_id`), as model infos with Anthropic's display names. */
export async function listAnthropicModels(client: AnthropicClient, credential: Credential | undefined, timeoutMs: number): Promise<ModelInfo[]> {
  const signal = CallSignal.timeout(timeoutMs, 'model discovery timed out');
  const out: ModelInfo[] = [];
  try {
    let after: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const res = await client.get(`/v1/models?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}`, credential, signal);
      const body = parseJsonObject<ModelPage>(await res.body.text(), headerValue(res.headers, 'content-type') ?? '');
      for (const m of body.data ?? []) {
        if (typeof m?.id !== 'string') continue;
        const info: ModelInfo = { id: m.id, owned_by: 'anthropic' };
        const created = typeof m.created_at === 'string' ? Date.parse(m.created_at) : NaN;
        if (!Number.isNaN(created)) info.created = Math.floor(created / 1000);
        if (typeof m.display_name === 'string') info.display_name = m.display_name;
        out.push(info);
      }
      if (!body.has_more || !body.last_id) break;
      after = body.last_id;
    }
    return out;
  } finally {
    signal.clear();
  }
}
