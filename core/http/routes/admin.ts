import type { FastifyInstance } from 'fastify';
import { acceptEmptyJson } from '../empty-json.js';

/**
 * `POST /v1/admin/reload`, behind the admin key: read the config file again and apply what can
 * change live; with shared state every instance does (SIGHUP does the same).
 */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { admin, guards } = app.switchboard;
  acceptEmptyJson(app);
  app.post('/v1/admin/reload', { onRequest: guards.adminKey }, async () => {
    const { applied, restartNeeded } = await admin.reload();
    const rest = restartNeeded.length ? ` Needs a restart to take effect: ${restartNeeded.join(', ')}.` : '';
    return {
      success: true,
      message: `Config reloaded: ${applied.length ? `applied ${applied.join(', ')}` : 'nothing to apply'}.${rest}`,
      applied,
      restart_needed: restartNeeded,
    };
  });
}
