import { CONTRACT_VERSION, GatewayError, acceptEmptyJson, defineExtension, iso, parseNewCredentials, type PoolEntry, type ProviderHandle, type RefreshJob } from '../../core/index.js';
import { credentialViews, providerView } from './views.js';
import { observeRoutes } from './observe.js';
import { consoleRoutes } from './console.js';

/** A refresh job as its progress route shows it. */
function progress(job: RefreshJob | undefined) {
  if (!job) return { running: false, total: 0, done: 0, failed: 0, finishedAt: null, errors: [] };
  return { running: job.finishedAt === undefined, total: job.total, done: job.done, failed: job.failed, finishedAt: iso(job.finishedAt), errors: job.errors };
}

/**
 * The operator's API under `/v1/admin/`, behind the admin key (`Authorization: Bearer
 * <adminKey>` or `x-admin-key`; refused, not open, when no admin key is set): the providers with
 * their readiness, models and breakers; each pool's credentials with their state, quota, observed
 * limits and counts (ids are masked, never secrets); and the quota refresh job, started and
 * followed. Lists answer under `data`.
 */
export default defineExtension({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'admin',
  optionsSchema: {
    type: 'object',
    properties: {
      /** The web console at /admin; the API stays either way. */
      console: { type: 'boolean', default: true },
      /** How long a console login lasts. */
      sessionHours: { type: 'number', exclusiveMinimum: 0, maximum: 720, default: 12 },
    },
    additionalProperties: false,
  },
  async register(app, options: { console?: boolean; sessionHours?: number }) {
    const { providers, clock, guards, store, quotaRefresh, admin } = app.switchboard;
    const onRequest = guards.adminKey;
    acceptEmptyJson(app);
    observeRoutes(app);
    if (options.console !== false) await consoleRoutes(app, { sessionHours: options.sessionHours ?? 12 });

    const provider = (id: string): ProviderHandle => {
      const h = providers.get(id);
      if (!h) throw new GatewayError('SWB_ERR_UNKNOWN_URL', `No provider "${id.slice(0, 80)}": known are ${providers.handles.map((p) => p.id).join(', ') || 'none'}.`, { param: 'provider' });
      return h;
    };

    app.get('/v1/admin/providers', { onRequest }, async () => {
      await store.refresh?.(); // with shared state, what every instance counted
      const now = clock.now();
      return { data: await Promise.all(providers.handles.map((h) => providerView(h, now, h.pool.missing === undefined))) };
    });

    app.get<{ Params: { provider: string } }>('/v1/admin/providers/:provider/credentials', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      await store.refresh?.();
      return { data: credentialViews(h, clock.now()) };
    });

    const credential = (h: ProviderHandle, id: string): PoolEntry => {
      const entry = h.pool.entries.find((e) => e.id === id);
      if (!entry) throw new GatewayError('SWB_ERR_UNKNOWN_URL', `Provider "${h.id}" has no credential "${id.slice(0, 80)}"; the ids are those GET .../credentials lists.`, { param: 'id' });
      return entry;
    };
    const view = (h: ProviderHandle, e: PoolEntry) => credentialViews(h, clock.now())[h.pool.entries.indexOf(e)];
    type One = { Params: { provider: string; id: string } };

    // Add: a list of secrets or {value, name, tier}, or a paste of secrets one per line.
    app.post<{ Params: { provider: string }; Body: { credentials?: unknown } | undefined }>('/v1/admin/providers/:provider/credentials', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const { added, present } = await admin.addCredentials(h, parseNewCredentials(request.body?.credentials, 'credentials'));
      return { added: added.map((e) => view(h, e)), alreadyPresent: present, total: h.pool.entries.length };
    });
    // Delete: out of the pool on every instance, and kept out across restarts even if configured.
    app.delete<One>('/v1/admin/providers/:provider/credentials/:id', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const entry = credential(h, request.params.id);
      await admin.removeCredentials(h, [entry]);
      return { deleted: entry.id, total: h.pool.entries.length };
    });
    app.post<One>('/v1/admin/providers/:provider/credentials/:id/enable', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const entry = credential(h, request.params.id);
      await admin.enable(h, entry);
      return view(h, entry);
    });
    app.post<One & { Body: { reason?: unknown } | undefined }>('/v1/admin/providers/:provider/credentials/:id/disable', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const entry = credential(h, request.params.id);
      const reason = request.body?.reason ?? 'disabled by an admin';
      if (typeof reason !== 'string' || !reason || reason.length > 200) throw new GatewayError('SWB_ERR_INVALID_VALUE', "Invalid value for 'reason': give a string of 1 to 200 characters.", { param: 'reason' });
      await admin.disable(h, entry, reason);
      return view(h, entry);
    });
    // Rotate: the next request starts at the next credential. Reset: counts and breakers cleared.
    app.post<{ Params: { provider: string } }>('/v1/admin/providers/:provider/rotate', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      return { current: admin.rotate(h)?.id ?? null, strategy: h.pool.settings.strategy };
    });
    app.post<{ Params: { provider: string } }>('/v1/admin/providers/:provider/reset', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      await admin.reset(h);
      return { reset: h.id, credentials: credentialViews(h, clock.now()).length };
    });

    // One minimal real call with one credential; its outcome counts for the pool like any call's.
    app.post<{ Params: { provider: string; id: string }; Body: { model?: unknown } | undefined }>('/v1/admin/providers/:provider/credentials/:id/test', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const entry = credential(h, request.params.id);
      const model = request.body?.model;
      if (model !== undefined && (typeof model !== 'string' || !model)) throw new GatewayError('SWB_ERR_INVALID_TYPE', "Invalid type for 'model': expected a model id.", { param: 'model' });
      return admin.testCredential(h, entry, model);
    });

    // The refresh-all job: started by POST (409 while one runs), followed by GET.
    app.post<{ Params: { provider: string } }>('/v1/admin/providers/:provider/quotas/refresh', { onRequest }, async (request, reply) => {
      const job = quotaRefresh.start(provider(request.params.provider));
      return reply.code(202).send(progress(job));
    });
    app.get<{ Params: { provider: string } }>('/v1/admin/providers/:provider/quotas/refresh', { onRequest }, async (request) => progress(quotaRefresh.status(provider(request.params.provider).id)));
  },
});
