import { NdjsonParser, type CallContext, type ChatChunk } from '../../core/index.js';
import type { GrokClient } from './client.js';
import { conversationBody, type ConversationInput } from './conversation-body.js';
import { quotaKey, type GrokModel } from './models.js';
import type { GrokTranslator } from './translate.js';

/**
 * One conversation on grok.com (`POST /rest/app-chat/conversations/new`, the body of
 * conversation-body.ts) with the call's account: its NDJSON frames through the translator `t`
 * (which throws Grok's in-band errors), with the account's quota kept: counted down after a
 * success, re-read after a rate limit (which decides how long the account rests).
 */
export async function* converse(client: GrokClient, t: GrokTranslator, model: GrokModel, input: ConversationInput, call: CallContext): AsyncGenerator<ChatChunk> {
  const key = quotaKey(model);
  try {
    const res = await client.post('/rest/app-chat/conversations/new', JSON.stringify(conversationBody(model, input)), call);
    const lines = new NdjsonParser({ source: 'Grok' });
    for await (const buf of res.body) {
      for (const frame of lines.feed(buf as Buffer)) yield* t.frame(frame);
    }
    for (const frame of lines.end()) yield* t.frame(frame);
  } catch (err) {
    await client.noteLimit(err, call, key);
    throw err;
  }
  client.spent(call, key, model.cost);
}
