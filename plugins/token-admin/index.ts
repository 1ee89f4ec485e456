import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CONTRACT_VERSION, GatewayError, defineExtension, selectProviders, type NewCredential, type PoolEntry, type ProviderHandle } from '../../core/index.js';

import { providerSummary, tokenViews } from './views.js';

/**
 * The token endpoints the GitHub Models proxy's users script against — `GET /v1/tokens/stats`,
 * `POST /v1/tokens/rotate`, `POST /v1/tokens/reset-stats` — and `POST /v1/tokens/enable` and
 * `/disable`, over every credential pool, behind the admin key. Each takes `?provider=<id>` to
 * pick one pool; the default is all of them. With shared state they act on every instance.
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
      const rotated = handles.map((h) => ({ id: h.id, current_token: admin.rotate(h).id, strategy: h.pool.settings.strategy }));
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
      const handle = oneProvider(chosen(request), 'add to');
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
      const body = request.body as Record<string, unknown> | undefined;
      const names = body && Array.isArray(body.tokens) ? body.tokens : undefined;
      if (!names || names.length === 0 || names.length > MAX_BATCH) {
        throw new GatewayError('SWB_ERR_INVALID_VALUE', `Give the tokens to delete as {"tokens": ["<key as /v1/tokens/stats shows it>", ...]} (1 to ${MAX_BATCH}).`, { param: 'tokens' });
      }
      const found = names.map((token) => namedToken(handles, { token }));
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

/** `{"token": ...}`: the `key` that /v1/tokens/stats shows, the state key or the secret itself. */
function namedToken(handles: readonly ProviderHandle[], body: unknown): { handle: ProviderHandle; entry: PoolEntry } {
  const token = body && typeof body === 'object' ? (body as Record<string, unknown>).token : undefined;
  if (typeof token !== 'string' || token === '') {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Name the token in the JSON body: {"token": "<key as /v1/tokens/stats shows it>"}.`, { param: 'token' });
  }
  const found = handles.flatMap((handle) => {
    const entry = handle.pool.find(token);
    return entry ? [{ handle, entry }] : [];
  });
  if (found.length === 1) return found[0];
  const what = found.length ? `is in ${found.length} providers (${found.map((f) => f.handle.id).join(', ')}): name one with "provider"` : `matches no token of ${describe(handles)}; see /v1/tokens/stats for their keys`;
  // The name may be a secret: never echo it.
  throw new GatewayError('SWB_ERR_INVALID_VALUE', `The token you named ${what}.`, { param: 'token' });
}

const MAX_REASON = 200;
const MAX_BATCH = 1000;
/** Printable ASCII: a secret goes into a header, where a control character would split it. */
const SECRET = /^[\x20-\x7e]{1,8192}$/;

/** Adding or deleting acts on one pool: `?provider=` must name it when there are several. */
function oneProvider(handles: readonly ProviderHandle[], what: string): ProviderHandle {
  if (handles.length === 1) return handles[0];
  throw new GatewayError('SWB_ERR_INVALID_VALUE', `Name the provider to ${what} with "provider" (${handles.map((h) => h.id).join(', ')}).`, { param: 'provider' });
}

/** `{"tokens": ["<secret>", {"value": "<secret>", "name": "GITHUB_TOKEN5"}]}`, checked. */
function newTokens(body: unknown): NewCredential[] {
  const list = body && typeof body === 'object' ? (body as Record<string, unknown>).tokens : undefined;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Give the tokens to add as {"tokens": ["<secret>", {"value": "<secret>", "name": "<name>"}]} (1 to ${MAX_BATCH}).`, { param: 'tokens' });
  }
  return list.map((t, i) => {
    const o = typeof t === 'string' ? { value: t } : t && typeof t === 'object' ? (t as Record<string, unknown>) : {};
    const secret = o.value ?? o.secret;
    if (typeof secret !== 'string' || !SECRET.test(secret.trim())) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `tokens[${i}]: give the secret as a string of printable characters (at most 8192).`, { param: `tokens[${i}]` });
    }
    if (o.name !== undefined && (typeof o.name !== 'string' || !/^[\x21-\x7e][\x20-\x7e]{0,99}$/.test(o.name))) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `tokens[${i}].name: give a name of 1 to 100 printable characters.`, { param: `tokens[${i}].name` });
    }
    return { secret: secret.trim(), ...(typeof o.name === 'string' ? { name: o.name } : {}) };
  });
}

function reasonOf(body: unknown): string {
  const reason = body && typeof body === 'object' ? (body as Record<string, unknown>).reason : undefined;
  if (reason === undefined) return 'disabled by an admin';
  if (typeof reason !== 'string' || reason.length > MAX_REASON) {
    throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for 'reason': give a string of at most ${MAX_REASON} characters.`, { param: 'reason' });
  }
  return reason;
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
