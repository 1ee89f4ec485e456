import type { FastifyInstance } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.js';
import { responsesFormat } from '../responses/format.js';
import { toChatRequest } from '../responses/request.js';
import { ResponseShell } from '../responses/response-object.js';
import { responsesBodySchema } from '../responses/schema.js';
import type { ResponsesRequest } from '../responses/types.js';

/** `POST /v1/responses`: the OpenAI Responses API over the canonical chat core. */
export async function responsesRoutes(app: FastifyInstance): Promise<void> {
  const chat = app.switchboard.chat;
  app.post('/v1/responses', { schema: { body: responsesBodySchema } }, (request, reply) => {
    const body = request.body as ResponsesRequest;
    const shell = new ResponseShell(body, body.model);
    return chat.respond(request, reply, toChatRequest(body), responsesFormat(shell));
  });
  // Codex CLI first asks for the Responses WebSocket mode; a 426 makes it fall back to HTTP at once.
  app.get('/v1/responses', async (request) => {
    if (String(request.headers.upgrade).toLowerCase() === 'websocket') {
      throw new GatewayError('SWB_ERR_UPGRADE_REQUIRED', 'The Responses WebSocket mode is not served by Switchboard: use HTTP (POST /v1/responses) with stream: true.');
    }
    throw new GatewayError('SWB_ERR_UNKNOWN_URL', 'Invalid URL (GET /v1/responses)');
  });
}
