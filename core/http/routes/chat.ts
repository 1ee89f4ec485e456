import type { FastifyInstance } from 'fastify';
import type { ChatRequest } from '../../contract/openai.js';
import { chatCompletionFormat } from '../chat-format.js';
import { respondChat } from '../chat-responder.js';
import { chatBodySchema } from '../schemas.js';

export async function chatRoutes(app: FastifyInstance): Promise<void> {
  const deps = { dispatcher: app.switchboard.dispatcher, accessLog: app.switchboard.accessLog, drain: app.switchboard.drain };
  app.post('/v1/chat/completions', { schema: { body: chatBodySchema } }, (request, reply) =>
    respondChat(request, reply, request.body as ChatRequest, chatCompletionFormat, deps),
  );
}
