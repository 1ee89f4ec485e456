import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { sendError } from '../error-handler.js';

/** Liveness and readiness probes; no auth, so orchestrators can call them. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const sb = app.switchboard;
    if (!sb.ready) return sendError(reply, new GatewayError('SWB_ERR_NOT_READY', 'Switchboard is starting or shutting down.'));
    // A provider whose configured credentials resolved to nothing cannot serve: not ready, and why.
    const providers = sb.providers.handles.map((h) => {
      const missing = h.pool.missing;
      return missing === undefined ? { id: h.id, plugin: h.config.plugin, ready: true } : { id: h.id, plugin: h.config.plugin, ready: false, reason: missing };
    });
    if (providers.length && providers.every((p) => !p.ready)) {
      return sendError(reply, new GatewayError('SWB_ERR_NOT_READY', `No provider can serve: ${providers.map((p) => p.reason).join('; ')}.`));
    }
    // A shared state driver that lost its server still serves, each instance deciding alone: say so.
    if (sb.store.degraded !== undefined) return { status: 'ready', state: sb.store.driver, degraded: sb.store.degraded, providers };
    return { status: 'ready', providers };
  });
}
