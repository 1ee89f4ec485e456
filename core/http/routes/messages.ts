import type { FastifyInstance, FastifyReply } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { anthropicErrorHandler, renderAnthropicError } from '../anthropic/errors.js';
import { estimateInputTokens } from '../anthropic/count-tokens.js';
import { messagesFormat } from '../anthropic/format.js';
import { toChatRequest } from '../anthropic/request.js';
import { countTokensBodySchema, messagesBodySchema } from '../anthropic/schema.js';
import type { MessagesRequest } from '../anthropic/types.js';
import { installJsonBody } from '../json-body.js';
import { nativeMessages } from '../anthropic/native.js';

/**
 * `POST /v1/messages`, Anthropic's Messages API, over the canonical chat path; errors in
 * Anthropic's envelope. `anthropic-version` and `anthropic-beta` are accepted whatever they say
 * (nothing here depends on them), and `?beta=true` (Claude Code) is the same route.
 */
export async function messagesRoutes(app: FastifyInstance): Promise<void> {
  const { chat, dispatcher, errorFormats } = app.switchboard;
  errorFormats?.add('/v1/messages', renderAnthropicError);

  app.setErrorHandler(anthropicErrorHandler);

  // The body's text is kept beside the parsed body, for a target that takes it untranslated.
  const texts = new WeakMap<object, string>();
  installJsonBody(app, (value, text) => texts.set(value, text));

  app.post('/v1/messages', { schema: { body: messagesBodySchema } }, (request, reply) => {
    const body = request.body as MessagesRequest;
    const text = texts.get(body);
    const canonical = text === undefined ? toChatRequest(body) : nativeMessages(body, text, request.headers['anthropic-beta']);
    return chat.respond(request, reply, canonical, messagesFormat(body.model, body.stop_sequences));
  });

  // Unknown paths below /v1/messages answer in this door's envelope too.
  app.all('/v1/messages/*', (request) => {
    throw new GatewayError('SWB_ERR_UNKNOWN_URL', `Invalid URL (${request.method} ${request.url.split('?')[0]})`);
  });

  // An Anthropic upstream counts for itself; for every other target the answer is an estimate.
  // The header says which.
  app.post('/v1/messages/count_tokens', { schema: { body: countTokensBodySchema } }, async (request, reply) => {
    const body = request.body as MessagesRequest;
    const text = texts.get(body);
    if (text !== undefined && (await dispatcher.countsTokens(body.model))) {
      const counted = await chat.countTokens(request, reply, nativeMessages(body, text, request.headers['anthropic-beta']), '/v1/messages/count_tokens');
      if (!counted) return reply; // shutdown answered it
      if (counted.value !== undefined) return countAnswer(reply, counted.value, 'upstream');
    }
    toChatRequest(body); // refuses what /v1/messages would refuse for this target
    return countAnswer(reply, estimateInputTokens(body), 'estimate');
  });
}

function countAnswer(reply: FastifyReply, tokens: number, how: 'upstream' | 'estimate'): FastifyReply {
  return reply.header('x-switchboard-token-count', how).type('application/json').send(`{"input_tokens":${tokens}}`);
}
