import { Registry, collectDefaultMetrics } from 'prom-client';
import { CONTRACT_VERSION, defineExtension } from '../../core/index.js';
import { upstreamMetrics } from './upstream.js';
import { requestMetrics } from './requests.js';

interface Options {
  /** Scrapes need the admin key (`Authorization: Bearer <adminKey>` or `x-admin-key`). */
  requireAdminKey: boolean;
}

/**
 * `GET /metrics` in Prometheus' text format (prom-client): the process's default metrics, the
 * requests as they finish (counts and latency histograms), and the upstream side read from the
 * pools and breakers at scrape time. Labels are bounded (providers, models the provider lists, failure kinds) and
 * never carry a secret.
 */
export default defineExtension<Options>({
  kind: 'extension',
  contractVersion: CONTRACT_VERSION,
  name: 'metrics',
  optionsSchema: {
    type: 'object',
    properties: { requireAdminKey: { type: 'boolean', default: false } },
    additionalProperties: false,
  },
  async register(app, options) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    upstreamMetrics(registry, app.switchboard.providers, app.switchboard.store);
    requestMetrics(registry, app.switchboard);
    const guard = options.requireAdminKey ? { onRequest: app.switchboard.guards.adminKey } : {};
    app.get('/metrics', guard, async (_request, reply) => {
      const text = await registry.metrics();
      return reply.type(registry.contentType).send(text);
    });
  },
});
