import type { FastifyInstance } from 'fastify';
import type { ImageRequest } from '../../contract/openai.js';
import { Exchange } from '../../dispatch/exchange.js';
import { servedEntry } from '../access-log.js';
import { toGatewayError } from '../error-handler.js';
import { CLIENT_CLOSED } from '../request-outcomes.js';
import { imagesBodySchema } from '../schemas.js';

export async function imageRoutes(app: FastifyInstance): Promise<void> {
  const { dispatcher } = app.switchboard;
  app.post('/v1/images/generations', { schema: { body: imagesBodySchema } }, async (request, reply) => {
    const body = request.body as ImageRequest;
    // Providers get the OpenAI defaults filled in, so none has to know them.
    body.n ??= 1;
    body.response_format ??= 'url';
    const ex = new Exchange(request.id, reply.raw);
    const started = Date.now();
    const model = body.model; // dispatch may rewrite it to the upstream's id
    try {
      const served = await dispatcher.images(body, ex);
      app.switchboard.outcomes.report(servedEntry(request, '/v1/images/generations', started, model, served, ex.attempts));
      return reply.send(served.value);
    } catch (err) {
      app.switchboard.outcomes.failed(request, '/v1/images/generations', started, model, ex.clientGone ? CLIENT_CLOSED : toGatewayError(err as Error).status, ex);
      throw err;
    } finally {
      ex.finish();
    }
  });
}
