import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { jsonValue, type ChatCompletion, type ChatMessage } from '../../core/index.js';
import type { Question } from './prompt.js';

/**
 * Ask the model one question through the core's chat path (routing, pools, retries, failover,
 * timeouts, the client's disconnect, the shutdown drain, the access log) and return the text of
 * its answer. Failures throw the GatewayError the client should see; undefined: the reply is sent already.
 */
export async function ask(app: FastifyInstance, request: FastifyRequest, reply: FastifyReply, q: Question, system: string | undefined): Promise<string | undefined> {
  const messages: ChatMessage[] = system ? [{ role: 'system', content: system }] : [];
  messages.push({ role: 'user', content: q.prompt });
  const served = await app.switchboard.chat.complete(request, reply, { model: q.model, messages, stream: false }, '/v1/string');
  return served && answerText(jsonValue(served.value));
}

/** The first choice's text; a refusal is the answer when there is no content. */
function answerText(completion: ChatCompletion): string {
  const message = completion.choices?.[0]?.message;
  return message?.content ?? message?.refusal ?? '';
}
