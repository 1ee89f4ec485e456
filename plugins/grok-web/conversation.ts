import { NdjsonParser, type CallContext, type ChatChunk } from '../../core/index.js';
import type { GrokClient } from './client.js';
import { conversationBody, type ConversationInput } from './conversation-body.js';
import { gatewayTurn } from './gateway.js';
import { gatewayMode, quotaKey, type GrokModel } from './models.js';
import { GrokInBandError, type GrokTranslator } from './translate.js';

/** How chat reaches grok.com: the WebSocket gateway (the web app since August 2026) or the HTTP dialect before it. */
export type ChatTransport = 'websocket' | 'http';

/**
 * One conversation turn on grok.com with the call's account, over `transport`: the gateway's
 * events (gateway.ts) or the HTTP dialect's NDJSON frames (`POST /rest/app-chat/conversations/new`,
 * the body of conversation-body.ts), through the translator `t` (which throws Grok's in-band
 * errors), with the account's quota kept: counted down after a success, re-read after a rate
 * limit (which decides how long the account rests). The gateway's windows are its modes.
 */
export async function* converse(client: GrokClient, t: GrokTranslator, model: GrokModel, input: ConversationInput, call: CallContext, transport: ChatTransport): AsyncGenerator<ChatChunk> {
  const key = transport === 'websocket' ? gatewayMode(model) : quotaKey(model);
  try {
    if (transport === 'websocket') yield* gatewayTurn(client, t, model, input, call);
    else yield* httpTurn(client, t, model, input, call);
  } catch (err) {
    // The REST dialect's chat takes a statsig: a signed one it rejected is signed anew next time.
    if (transport === 'http' && err instanceof GrokInBandError && err.code === 7) client.statsigRejected('/rest/app-chat/conversations/new');
    await client.noteLimit(err, call, key);
    throw err;
  }
  client.spent(call, key, model.cost);
}

async function* httpTurn(client: GrokClient, t: GrokTranslator, model: GrokModel, input: ConversationInput, call: CallContext): AsyncGenerator<ChatChunk> {
  const res = await client.post('/rest/app-chat/conversations/new', JSON.stringify(conversationBody(model, input)), call);
  const lines = new NdjsonParser({ source: 'Grok' });
  for await (const buf of res.body) {
    for (const frame of lines.feed(buf as Buffer)) yield* t.frame(frame);
  }
  for (const frame of lines.end()) yield* t.frame(frame);
}
