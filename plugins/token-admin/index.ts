import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONTRACT_VERSION, GatewayError, defineExtension, selectProviders, type ProviderHandle } from '../../core/index.js';

import { providerSummary, tokenViews } from './views.js';

/**
 * The token endpoints the GitHub Models proxy's users script against — `GET /v1/tokens/stats`,
 * `POST /v1/tokens/rotate`, `POST /v1/tokens/reset-stats` — over every credential pool, behind
 * the admin key. Each takes `?provider=<id>` to pick one pool; the default is all of them.
 */
export default defineExtension({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'token-admin',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  async register(app) {
    const { providers, clock, guards, store } = app.switchboard;
    const onRequest = guards.adminKey;
    acceptEmptyJson(app);
    const chosen = (request: FastifyRequest) => selectProviders(providers, providerParam(request));

    app.get('/v1/tokens/stats', { onRequest }, async (request) => {
      const handles = chosen(request);
      await store.refresh?.(); // several instances: show the counts they share, not this one's alone
      const now = clock.now();
      return {
        current_token: handles[0]?.pool.current.id ?? null,
        total_tokens: handles.reduce((n, h) => n + h.pool.entries.length, 0),
        tokens: handles.flatMap((h) => tokenViews(h, now)),
        providers: handles.map((h) => providerSummary(h, now)),
        state: { driver: store.driver, degraded: store.degraded === true },
      };
    });

    app.post('/v1/tokens/rotate', { onRequest }, async (request) => {
      const handles = chosen(request);
      const rotated = handles.map((h) => ({ id: h.id, current_token: h.pool.rotate().id, strategy: h.pool.settings.strategy }));
      const what = rotated.map((r) => `${r.id} -> ${r.current_token}${r.strategy === 'round-robin' ? '' : ` (strategy ${r.strategy} still picks by its own rule)`}`);
      return {
        success: true,
        message: `Rotated: the next request starts at the next token (${what.join('; ')}).`,
        current_token: rotated[0]?.current_token ?? null,
        providers: rotated.map(({ id, current_token }) => ({ id, current_token })),
      };
    });

    app.post('/v1/tokens/reset-stats', { onRequest }, async (request) => {
      const handles = chosen(request);
      for (const h of handles) reset(h);
      const tokens = handles.reduce((n, h) => n + h.pool.entries.length, 0);
      return {
        success: true,
        message: `Stats, cooldowns and disabled flags of ${tokens} token(s) and the circuit breakers of ${describe(handles)} were reset.`,
      };
    });
  },
});

/** Fresh counters, every token enabled and cooled down, every breaker closed. */
function reset(h: ProviderHandle): void {
  h.pool.resetStats();
  h.policies.reset();
}

function describe(handles: readonly ProviderHandle[]): string {
  return handles.length === 1 ? `provider "${handles[0].id}"` : `${handles.length} providers (${handles.map((h) => h.id).join(', ')})`;
}

/** `?provider=` wins; a POST may name it in a JSON body instead (`{"provider":"gh"}`). */
function providerParam(request: FastifyRequest): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  if (query?.provider !== undefined) return query;
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? body : undefined;
}

/**
 * These POSTs need no body, but scripts often send `Content-Type: application/json` with none:
 * accept that here (fastify refuses an empty JSON body by default). Scoped to this plugin.
 */
function acceptEmptyJson(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = String(body).trim();
    if (!text) return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new GatewayError('SWB_ERR_INVALID_JSON', 'We could not parse the JSON body of your request: it is not valid JSON.'), undefined);
    }
  });
}
