import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Exchange, jsonValue, type ChatCompletion, type ChatMessage } from '../../core/index.js';
import type { Question } from './prompt.js';

/**
 * Ask the model one question through the dispatcher (routing, pools, retries, failover, timeouts,
 * the client's disconnect) and return the text of its answer. Failures throw the GatewayError
 * the client should see.
 */
export async function ask(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, q: Question, system: string | undefined): Promise<string> {
  const { dispatcher, accessLog } = app.switchboard;
  const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  messages.push({ role: 'user', content: q.prompt });
  const ex = new Exchange(request.id, reply.raw);
  const started = Date.now();
  try {
    const served = await dispatcher.complete({ model: q.model, messages, stream: false }, ex);
    accessLog?.record({ reqId: request.id, status: 200, ms: Date.now() - started, model: q.model, provider: served.handle.id, stream: false });
    return answerText(jsonValue(served.value));
  } finally {
    ex.finish();
  }
}

/** The first choice's text; a refusal is the answer when there is no content. */
function answerText(completion: ChatCompletion): string {
  const message = completion.choices?.[0]?.message;
  return message?.content ?? message?.refusal ?? '';
}
