import type { FastifyInstance } from 'fastify';
import type { EmbeddingsRequest } from '../../contract/openai.js';
import { jsonText } from '../../contract/raw.js';
import { Exchange } from '../../dispatch/exchange.js';
import { servedEntry } from '../access-log.js';
import { toGatewayError } from '../error-handler.js';
import { CLIENT_CLOSED } from '../request-outcomes.js';
import { embeddingsBodySchema } from '../schemas.js';

export async function embeddingRoutes(app: FastifyInstance): Promise<void> {
  const { dispatcher } = app.switchboard;
  app.post('/v1/embeddings', { schema: { body: embeddingsBodySchema } }, async (request, reply) => {
    const ex = new Exchange(request.id, reply.raw);
    const started = Date.now();
    const body = request.body as EmbeddingsRequest;
    const model = body.model; // dispatch may rewrite it to the upstream's id
    try {
      const served = await dispatcher.embeddings(body, ex);
      app.switchboard.outcomes.report(servedEntry(request, '/v1/embeddings', started, model, served, ex.attempts));
      return reply.header('content-type', 'application/json').send(jsonText(served.value));
    } catch (err) {
      app.switchboard.outcomes.failed(request, '/v1/embeddings', started, model, ex.clientGone ? CLIENT_CLOSED : toGatewayError(err as Error).status, ex);
      throw err;
    } finally {
      ex.finish();
    }
  });
}
