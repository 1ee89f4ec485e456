import { CONTRACT_VERSION, GatewayError, acceptEmptyJson, defineExtension, iso, type ProviderHandle, type RefreshJob } from '../../core/index.js';
import { credentialViews, providerView } from './views.js';

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
  optionsSchema: { type: 'object', properties: {}, additionalProperties: false },
  async register(app) {
    const { providers, clock, guards, store, quotaRefresh, admin } = app.switchboard;
    const onRequest = guards.adminKey;
    acceptEmptyJson(app);

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

    // One minimal real call with one credential; its outcome counts for the pool like any call's.
    app.post<{ Params: { provider: string; id: string }; Body: { model?: unknown } | undefined }>('/v1/admin/providers/:provider/credentials/:id/test', { onRequest }, async (request) => {
      const h = provider(request.params.provider);
      const entry = h.pool.entries.find((e) => e.id === request.params.id);
      if (!entry) throw new GatewayError('SWB_ERR_UNKNOWN_URL', `Provider "${h.id}" has no credential "${request.params.id.slice(0, 80)}"; the ids are those GET .../credentials lists.`, { param: 'id' });
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
