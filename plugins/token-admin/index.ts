import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONTRACT_VERSION, GatewayError, acceptEmptyJson, defineExtension, selectProviders, type ProviderHandle } from '../../core/index.js';
import { describe, namedToken, newTokens, oneProvider, reasonOf, tokenNames } from './params.js';

import { providerSummary, tokenViews } from './views.js';

/**
 * The token endpoints the GitHub Models proxy's users script against — `GET /v1/tokens/stats`,
 * `POST /v1/tokens/rotate`, `POST /v1/tokens/reset-stats` — and `POST /v1/tokens/enable` and
 * `/disable`, over every credential pool, behind the admin key. Each takes `?provider=<id>` to
 * pick one pool; the default is all that hold credentials (a keyless provider such as `mock` has
 * no tokens to count or rotate). With shared state they act on every instance.
 */
export default defineExtension({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'token-admin',
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  async register(app) {
    const { providers, clock, guards, store, admin } = app.switchboard;
    const onRequest = guards.adminKey;
    acceptEmptyJson(app);
    const chosen = (request: FastifyRequest) => credentialPools(selectProviders(providers, providerParam(request)), providerParam(request));

    app.get('/v1/tokens/stats', { onRequest }, async (request) => {
      const handles = chosen(request);
      await store.refresh?.(); // several instances: show the counts they share, not this one's alone
      const now = clock.now();
      return {
        current_token: handles.find((h) => h.pool.current)?.pool.current?.id ?? null,
        total_tokens: handles.reduce((n, h) => n + h.pool.entries.length, 0),
        tokens: handles.flatMap((h) => tokenViews(h, now)),
        providers: handles.map((h) => providerSummary(h, now)),
        state: { driver: store.driver, degraded: store.degraded === true },
      };
    });

    app.post('/v1/tokens/rotate', { onRequest }, async (request) => {
      const handles = chosen(request);
      const rotated = handles.map((h) => ({ id: h.id, current_token: admin.rotate(h)?.id ?? null, strategy: h.pool.settings.strategy }));
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
      for (const h of handles) await admin.reset(h);
      const tokens = handles.reduce((n, h) => n + h.pool.entries.length, 0);
      return {
        success: true,
        message: `Stats, cooldowns and disabled flags of ${tokens} token(s) and the circuit breakers of ${describe(handles)} were reset.`,
      };
    });

    app.post('/v1/tokens/add', { onRequest }, async (request) => {
      // A keyless provider named explicitly may be given credentials: then it holds some.
      const handle = oneProvider(isNamed(providerParam(request)) ? selectProviders(providers, providerParam(request)) : chosen(request), 'add to');
      const { added, present } = await admin.addCredentials(handle, newTokens(request.body));
      const views = tokenViews(handle, clock.now());
      return {
        success: true,
        message: `Added ${added.length} token(s) to provider "${handle.id}"${present.length ? `; ${present.length} already in the pool` : ''}. Every instance uses them from now on.`,
        added: added.map((e) => views[e.index]),
        already_present: present,
        total_tokens: handle.pool.entries.length,
      };
    });

    app.post('/v1/tokens/delete', { onRequest }, async (request) => {
      const handles = chosen(request);
      const found = tokenNames(request.body).map((token) => namedToken(handles, { token }));
      const handle = oneProvider([...new Set(found.map((f) => f.handle))], 'delete from');
      await admin.removeCredentials(handle, found.map((f) => f.entry));
      return {
        success: true,
        message: `Deleted ${found.length} token(s) from provider "${handle.id}" on every instance (kept out across restarts, even if configured).`,
        deleted: found.map((f) => f.entry.id),
        total_tokens: handle.pool.entries.length,
      };
    });

    app.post('/v1/tokens/enable', { onRequest }, async (request) => {
      const { handle, entry } = namedToken(chosen(request), request.body);
      await admin.enable(handle, entry);
      return { success: true, message: `Token ${entry.id} of provider "${handle.id}" is enabled, its cooldowns cleared.`, token: tokenViews(handle, clock.now())[entry.index] };
    });

    app.post('/v1/tokens/disable', { onRequest }, async (request) => {
      const { handle, entry } = namedToken(chosen(request), request.body);
      const reason = reasonOf(request.body);
      await admin.disable(handle, entry, reason);
      return { success: true, message: `Token ${entry.id} of provider "${handle.id}" is disabled (${reason}) until enabled again.`, token: tokenViews(handle, clock.now())[entry.index] };
    });
  },
});

/**
 * The pools the token endpoints act on: those that hold credentials. A keyless provider has one
 * entry that stands for the provider itself, not a token: named explicitly, it is a 400.
 */
function credentialPools(handles: readonly ProviderHandle[], param: unknown): readonly ProviderHandle[] {
  const pools = handles.filter((h) => !h.pool.keyless);
  if (pools.length === 0 && isNamed(param) && handles.length === 1) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Provider "${handles[0].id}" is configured without credentials: it has no tokens (add some with POST /v1/tokens/add?provider=${handles[0].id}).`, { param: 'provider' });
  }
  return pools;
}

function isNamed(param: unknown): boolean {
  return param !== undefined && (param as Record<string, unknown>).provider !== undefined;
}

/** `?provider=` wins; a POST may name it in a JSON body instead (`{"provider":"gh"}`). */
function providerParam(request: FastifyRequest): unknown {
  const query = request.query as Record<string, unknown> | undefined;
  if (query?.provider !== undefined) return query;
  const body = request.body;
  return body && typeof body === 'object' && !Array.isArray(body) ? body : undefined;
}
