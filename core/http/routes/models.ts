import type { FastifyInstance } from 'fastify';
import type { ModelInfo } from '../../contract/openai.js';
import { modelNotFound } from '../../routing/router.js';
import { eitherErrorHandler, renderAnthropicError } from '../anthropic/errors.js';

interface ModelObject {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  /** What the upstream says of the model beyond OpenAI's four fields (capabilities, limits, ...). */
  [extra: string]: unknown;
}

/**
 * `GET /v1/models` lists the configured aliases first, then every provider's models as
 * `provider/model`, an id that always routes to exactly that provider.
 */
export async function modelRoutes(app: FastifyInstance): Promise<void> {
  const { router, providers, catalog, errorFormats } = app.switchboard;
  // Errors (a wrong key from the v1 hook, an unknown id, a malformed URL) in the envelope of the SDK asking.
  app.setErrorHandler(eitherErrorHandler);
  errorFormats?.add('/v1/models', renderAnthropicError, 'anthropic-version');
  const bootTime = Math.floor(Date.now() / 1000);
  const toObject = (id: string, m: ModelInfo | undefined, owner: string): ModelObject => {
    // OpenAI's fields first; a provider's extra metadata (GitHub's capabilities and limits) after.
    const { id: _id, object: _o, created, owned_by, aliases: _a, ...extra } = (m ?? {}) as ModelInfo & { object?: unknown };
    return {
      id,
      object: 'model',
      created: typeof created === 'number' ? created : bootTime,
      owned_by: typeof owned_by === 'string' ? owned_by : owner,
      ...extra,
    };
  };

  const all = async (): Promise<ModelObject[]> => {
    const out = router.aliases.map((r) => {
      const o = toObject(r.model, undefined, 'switchboard');
      if (r.description !== undefined) o.description = r.description;
      return o;
    });
    const lists = await Promise.all(providers.handles.map((h) => catalog.list(h)));
    providers.handles.forEach((h, i) => {
      for (const m of lists[i]) out.push(toObject(`${h.id}/${m.id}`, m, h.id));
    });
    return out;
  };

  app.get('/v1/models', async (request, reply) => {
    const data = await all();
    // Anthropic's SDK and Claude Code send anthropic-version and read Anthropic's list shape.
    const body = request.headers['anthropic-version'] ? anthropicList(data) : { object: 'list', data };
    return reply.header('content-type', 'application/json').send(JSON.stringify(body));
  });

  // A wildcard, so ids with slashes (`github/openai/gpt-4o-mini`) work encoded or not; the router
  // has already percent-decoded it.
  app.get('/v1/models/*', async (request, reply) => {
    const id = (request.params as { '*': string })['*'];
    const list = await all();
    const found = list.find((m) => m.id === id) ?? (await plain(id)) ?? routedByPattern(id);
    if (!found) throw modelNotFound(id);
    const body = request.headers['anthropic-version'] ? anthropicModel(found) : found;
    return reply.header('content-type', 'application/json').send(JSON.stringify(body));
  });

  /** A name a `models:` pattern routes (`claude-*`): it exists as far as clients can tell. */
  function routedByPattern(id: string): ModelObject | undefined {
    const pattern = router.patternFor(id);
    if (pattern === undefined) return undefined;
    const o = toObject(id, undefined, 'switchboard');
    o.description = `routed by the models: pattern ${pattern}`;
    return o;
  }

  /** A bare upstream id (`gpt-4o-mini`) that some provider lists. */
  async function plain(id: string): Promise<ModelObject | undefined> {
    for (const h of providers.handles) {
      const m = (await catalog.list(h)).find((x) => x.id === id || x.aliases?.includes(id));
      if (m) return toObject(id, m, h.id);
    }
    return undefined;
  }
}

/** A model as Anthropic's `GET /v1/models` describes one. */
function anthropicModel(m: ModelObject): { type: 'model'; id: string; display_name: string; created_at: string } {
  return { type: 'model', id: m.id, display_name: m.id, created_at: new Date(m.created * 1000).toISOString() };
}

/** Anthropic's list shape: one page holding everything. */
function anthropicList(models: ModelObject[]): { data: ReturnType<typeof anthropicModel>[]; has_more: false; first_id: string | null; last_id: string | null } {
  const data = models.map(anthropicModel);
  return { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
