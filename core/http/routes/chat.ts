import type { FastifyInstance } from 'fastify';
import type { ChatRequest } from '../../contract/openai.js';
import { chatCompletionFormat } from '../chat-format.js';
import { chatBodySchema } from '../schemas.js';

export async function chatRoutes(app: FastifyInstance): Promise<void> {
  const chat = app.switchboard.chat;
  app.post('/v1/chat/completions', { schema: { body: chatBodySchema } }, (request, reply) =>
    chat.respond(request, reply, request.body as ChatRequest, chatCompletionFormat),
  );
}
