import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../contract/provider.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { responsesFormat } from '../responses/format.js';
import { toChatRequest } from '../responses/request.js';
import { resolveReferences } from '../responses/references.js';
import { ResponseShell } from '../responses/response-object.js';
import { responsesBodySchema } from '../responses/schema.js';
import { inputItems, outputMessage, ResponseStore, type StoredResponse } from '../responses/store.js';
import type { ResponsesRequest } from '../responses/types.js';

const ID = /^resp_[A-Za-z0-9_-]{1,120}$/;

const notFound = (id: string, param: string | null) =>
  new GatewayError('SWB_ERR_RESPONSE_NOT_FOUND', `Response with id '${id.slice(0, 140)}' not found.`, { param });

/** `/v1/responses`: the OpenAI Responses API over the canonical chat core, and its stored responses. */
export async function responsesRoutes(app: FastifyInstance): Promise<void> {
  const { chat, config, store: state } = app.switchboard;
  const store = new ResponseStore(state, { ttlMs: config.responses.ttlHours * 3_600_000, maxEntries: config.responses.maxStored }, app.log as unknown as Logger);

  app.addHook('onClose', () => store.close());

  async function stored(id: string, param: string | null): Promise<StoredResponse> {
    const found = ID.test(id) ? await store.load(id, param) : undefined;
    if (!found) throw notFound(id, param);
    return found;
  }

  app.post('/v1/responses', { schema: { body: responsesBodySchema } }, async (request, reply) => {
    const sent = request.body as ResponsesRequest;
    const input = await resolveReferences(sent.input, (id) => store.load(id, 'input'));
    const body = input === sent.input ? sent : { ...sent, input };
    const previous = body.previous_response_id ? await stored(body.previous_response_id, 'previous_response_id') : undefined;
    const keep = store.enabled && body.store !== false; // OpenAI's default is to store
    const shell = new ResponseShell(body, body.model, keep);
    const canonical = toChatRequest(body, previous?.messages);
    const onEnd = keep
      ? (response: StoredResponse['response'], json?: string) => {
          const own = typeof body.instructions === 'string' && body.instructions ? 1 : 0;
          const messages = [...canonical.messages.slice(own), outputMessage(response)];
          store.save({ response, input: inputItems(body.input, (p) => shell.itemId(p)), messages }, json);
        }
      : undefined;
    return chat.respond(request, reply, canonical, responsesFormat(shell, onEnd));
  });

  // Codex CLI first asks for the Responses WebSocket mode; a 426 makes it fall back to HTTP at once.
  app.get('/v1/responses', async (request) => {
    if (String(request.headers.upgrade).toLowerCase() === 'websocket') {
      throw new GatewayError('SWB_ERR_UPGRADE_REQUIRED', 'The Responses WebSocket mode is not served by Switchboard: use HTTP (POST /v1/responses) with stream: true.');
    }
    throw new GatewayError('SWB_ERR_UNKNOWN_URL', 'Invalid URL (GET /v1/responses)');
  });

  app.get<{ Params: { id: string } }>('/v1/responses/:id', async (request, reply) => {
    const { response } = await stored(request.params.id, null);
    return reply.type('application/json').send(JSON.stringify(response));
  });

  app.delete<{ Params: { id: string } }>('/v1/responses/:id', async (request) => {
    const id = request.params.id;
    if (!ID.test(id) || !(await store.delete(id))) throw notFound(id, null);
    return { id, object: 'response.deleted', deleted: true };
  });

  app.get<{ Params: { id: string }; Querystring: { order?: string; limit?: string; after?: string } }>('/v1/responses/:id/input_items', async (request) => {
    const { input } = await stored(request.params.id, null);
    const { order = 'desc', limit = '20', after } = request.query;
    if (order !== 'asc' && order !== 'desc') throw new GatewayError('SWB_ERR_INVALID_VALUE', "Invalid value for 'order': expected one of asc, desc.", { param: 'order' });
    const n = Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new GatewayError('SWB_ERR_INVALID_VALUE', "Invalid value for 'limit': expected an integer from 1 to 100.", { param: 'limit' });
    let items = order === 'asc' ? input : [...input].reverse();
    if (after) items = items.slice(items.findIndex((i) => i.id === after) + 1);
    const data = items.slice(0, n);
    return { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: items.length > n };
  });
}
