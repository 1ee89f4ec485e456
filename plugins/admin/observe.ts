import type { FastifyInstance } from 'fastify';
import { GatewayError, MAX_USAGE_HOURS, chatBodySchema, chatCompletionFormat, configView, type ChatFormat, type ChatRequest } from '../../core/index.js';
import { RequestTail } from './tail.js';

/** The playground's requests count, in usage and logs, under this client name. */
export const CONSOLE_CLIENT = 'admin console';

const playgroundFormat: ChatFormat = { ...chatCompletionFormat, route: '/v1/admin/playground' };

/**
 * What an operator looks at and the few things beside pools they act on: usage per client and
 * model per hour, the last requests (and a live stream of them), the running config with its
 * secrets masked, the image caches, and a playground that chats through the real dispatch path.
 */
export function observeRoutes(app: FastifyInstance): void {
  const { guards, usage, outcomes, admin, images, chat, clock } = app.switchboard;
  const onRequest = guards.adminKey;
  const tail = new RequestTail();
  outcomes.listen(tail.record);
  app.addHook('preClose', async () => tail.close());

  app.get<{ Querystring: { hours?: string } }>('/v1/admin/usage', { onRequest }, async (request) => {
    const raw = request.query.hours ?? '24';
    const hours = Number(raw);
    if (!/^\d+$/.test(raw) || hours < 1 || hours > MAX_USAGE_HOURS) {
      throw new GatewayError('SWB_ERR_INVALID_VALUE', `Invalid value for 'hours': give a whole number of hours from 1 to ${MAX_USAGE_HOURS}.`, { param: 'hours' });
    }
    return usage.read(hours, clock.now());
  });

  app.get('/v1/admin/requests', { onRequest }, async () => ({ data: tail.recent() }));
  app.get('/v1/admin/requests/stream', { onRequest }, async (request, reply) => {
    if (tail.full) throw new GatewayError('SWB_ERR_QUEUE_FULL', 'Too many consoles are watching the live requests; close one and retry.');
    reply.hijack();
    reply.raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    reply.raw.write(': watching\n\n');
    tail.watch(reply.raw);
    request.log.debug({ reqId: request.id }, 'a console is watching the live requests');
  });

  app.get('/v1/admin/config', { onRequest }, async () => ({ path: app.switchboard.config.path ?? null, config: configView(admin.config) }));

  app.get('/v1/admin/images', { onRequest }, async () => ({ data: images.caches() }));
  app.post('/v1/admin/images/clear', { onRequest }, async () => ({ cleared: images.clear() }));

  // A chat through the real path (routing, pools, retries, usage), as the console's user.
  app.post('/v1/admin/playground', { onRequest, schema: { body: chatBodySchema } }, (request, reply) => {
    request.client = CONSOLE_CLIENT;
    return chat.respond(request, reply, request.body as ChatRequest, playgroundFormat);
  });
}
