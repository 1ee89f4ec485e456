import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { sendError } from '../error-handler.js';

/** Liveness and readiness probes; no auth, so orchestrators can call them. */
export async function healthRoutes(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const sb = app.switchboard;
    if (!sb.ready) return sendError(reply, new GatewayError('SWB_ERR_NOT_READY', 'Switchboard is starting or shutting down.'));
    const providers = sb.providers.handles.map((h) => ({ id: h.id, plugin: h.config.plugin }));
    // A shared state driver that lost its server still serves, each instance deciding alone: say so.
    if (sb.store.degraded !== undefined) return { status: 'ready', state: sb.store.driver, degraded: sb.store.degraded, providers };
    return { status: 'ready', providers };
  });
}
