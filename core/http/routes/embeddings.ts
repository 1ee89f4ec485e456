import type { FastifyInstance } from 'fastify';
import type { EmbeddingsRequest } from '../../contract/openai.js';
import { jsonText } from '../../contract/raw.js';
import { Exchange } from '../../dispatch/exchange.js';
import { embeddingsBodySchema } from '../schemas.js';

export async function embeddingRoutes(app: FastifyInstance): Promise<void> {
  const { dispatcher } = app.switchboard;
  app.post('/v1/embeddings', { schema: { body: embeddingsBodySchema } }, async (request, reply) => {
    const ex = new Exchange(request.id, reply.raw);
    try {
      const served = await dispatcher.embeddings(request.body as EmbeddingsRequest, ex);
      return reply.header('content-type', 'application/json').send(jsonText(served.value));
    } finally {
      ex.finish();
    }
  });
}
