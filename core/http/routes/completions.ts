import type { FastifyInstance } from 'fastify';
import { completionsBodySchema } from '../schemas.js';
import { completionsToChat, textCompletionFormat, type CompletionsRequest } from '../text-completion-format.js';

/** Legacy `POST /v1/completions`, served by the chat path. */
export async function completionRoutes(app: FastifyInstance): Promise<void> {
  const chat = app.switchboard.chat;
  app.post('/v1/completions', { schema: { body: completionsBodySchema } }, (request, reply) => {
    const body = request.body as CompletionsRequest;
    const prompt = Array.isArray(body.prompt) ? body.prompt[0] : body.prompt;
    return chat.respond(request, reply, completionsToChat(body), textCompletionFormat(prompt, body.echo === true));
  });
}
