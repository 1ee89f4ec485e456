import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { anthropicErrorHandler, renderAnthropicError } from '../anthropic/errors.js';
import { estimateInputTokens } from '../anthropic/count-tokens.js';
import { messagesFormat } from '../anthropic/format.js';
import { toChatRequest } from '../anthropic/request.js';
import { countTokensBodySchema, messagesBodySchema } from '../anthropic/schema.js';
import type { MessagesRequest } from '../anthropic/types.js';

/**
 * `POST /v1/messages`, Anthropic's Messages API, over the canonical chat path; errors in
 * Anthropic's envelope. `anthropic-version` and `anthropic-beta` are accepted whatever they say
 * (nothing here depends on them), and `?beta=true` (Claude Code) is the same route.
 */
export async function messagesRoutes(app: FastifyInstance): Promise<void> {
  const { chat, errorFormats } = app.switchboard;
  errorFormats?.add('/v1/messages', renderAnthropicError);

  app.setErrorHandler(anthropicErrorHandler);

  app.post('/v1/messages', { schema: { body: messagesBodySchema } }, (request, reply) => {
    const body = request.body as MessagesRequest;
    return chat.respond(request, reply, toChatRequest(body), messagesFormat(body.model, body.stop_sequences));
  });

  // Unknown paths below /v1/messages answer in this door's envelope too.
  app.all('/v1/messages/*', (request) => {
    throw new GatewayError('SWB_ERR_UNKNOWN_URL', `Invalid URL (${request.method} ${request.url.split('?')[0]})`);
  });

  // No OpenAI-format upstream counts tokens: the answer is an estimate, and says so.
  app.post('/v1/messages/count_tokens', { schema: { body: countTokensBodySchema } }, (request, reply) => {
    const body = request.body as MessagesRequest;
    toChatRequest(body); // refuses what /v1/messages would refuse
    return reply.header('x-switchboard-token-count', 'estimate').type('application/json').send(JSON.stringify({ input_tokens: estimateInputTokens(body) }));
  });
}
