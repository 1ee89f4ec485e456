import { randomUUID } from 'node:crypto';
import { UpstreamError, type CallContext, type ChatChunk } from '../../core/index.js';
import type { GrokClient } from './client.js';
import type { ConversationInput } from './conversation-body.js';
import { gatewayFailure, gatewayFrame } from './gateway-events.js';
import { GatewaySocket } from './gateway-socket.js';
import { gatewayMode, type GatewayMode, type GrokModel } from './models.js';
import type { GrokTranslator } from './translate.js';

/** `session.create` for a new conversation: the mode and the web app's flags, temporary and without memory unless configured. */
export function sessionCreate(mode: GatewayMode, input: ConversationInput): { event: Record<string, unknown> } {
  return {
    event: {
      type: 'session.create',
      event_id: `evt_init_${randomUUID()}`,
      session: {
        model: mode,
        x_grok: {
          protocol_capabilities: ['conversation_attached', 'custom_methods_v1'],
          use_chunk: true,
          enable_side_by_side: true,
          force_side_by_side: false,
          enable_image_generation: true,
          image_generation_count: input.imageCount,
          disable_text_follow_ups: false,
          disable_artifact: true,
          force_concise: false,
          keep_context: false,
          is_temporary: input.temporary,
          disable_memory: input.temporary,
        },
      },
    },
  };
}

/** The turn's two frames: the user message (attachments as mentions before the text), then `response.create`. */
export function turnEvents(sessionId: string, text: string, files: readonly string[]): [Record<string, unknown>, Record<string, unknown>] {
  const stamp = Date.now();
  const chunks: unknown[] = files.map((id) => ({ mention: { target: { file_mention: { file_id: id } } } }));
  chunks.push({ text: { text } });
  const attach = files.length ? { file_attachment_ids: [...files] } : {};
  const item = { type: 'message', role: 'user', x_grok: { client_message_id: randomUUID(), input_chunks: chunks }, ...attach };
  return [
    { session_id: sessionId, event: { type: 'conversation.item.create', event_id: `evt_msg_${stamp}`, item, ...attach } },
    { session_id: sessionId, event: { type: 'response.create', event_id: `evt_resp_${stamp}` } },
  ];
}

/** The prompt the gateway gets: the flattened conversation, with the configured instruction first and the image models' `Drawing:`. */
function promptOf(model: GrokModel, input: ConversationInput): string {
  const text = model.image ? `Drawing: ${input.message}` : input.message;
  return input.customInstruction ? `${input.customInstruction}\n\n${text}` : text;
}

/**
 * One turn on grok.com's WebSocket gateway (`/ws/mgw/?uid=`) with the call's account: open,
 * `session.create`, wait for `session.created` (echoing our event id) and `conversation.attached`
 * (naming the same conversation), send the message, then translate the stream through `t` until
 * `response.done`. The socket is closed when the turn ends, however it ends.
 */
export async function* gatewayTurn(client: GrokClient, t: GrokTranslator, model: GrokModel, input: ConversationInput, call: CallContext): AsyncGenerator<ChatChunk> {
  const secret = call.credential?.secret;
  if (!secret) throw new UpstreamError('grok.com needs an account (an sso cookie) for chat', { status: 401 });
  const mode = gatewayMode(model);
  const socket = await client.openGateway(secret, call);
  try {
    const create = sessionCreate(mode, input);
    socket.send(create);
    const sessionId = await attach(socket, (create.event as { event_id: string }).event_id);
    for (const e of turnEvents(sessionId, promptOf(model, input), input.files)) socket.send(e);
    for (;;) {
      const out: ChatChunk[] = [];
      const step = gatewayFrame(t, await socket.next(), out);
      yield* out;
      if (step === 'done') break;
    }
    t.done = true;
  } finally {
    socket.close();
  }
}

/** Wait for `session.created` and `conversation.attached`, in either order; the session id. */
async function attach(socket: GatewaySocket, eventId: string): Promise<string> {
  let sessionId: string | undefined;
  let conversationId: string | undefined;
  while (sessionId === undefined || conversationId === undefined) {
    const frame = (await socket.next()) as { session_id?: unknown; event?: { type?: unknown; client_event_id?: unknown; conversation?: { id?: unknown } } } | null;
    const event = frame?.event;
    if (event?.type === 'session.created') {
      // One for another client event is not ours.
      if (event.client_event_id !== undefined && event.client_event_id !== eventId) continue;
      if (typeof frame?.session_id !== 'string' || !frame.session_id) throw UpstreamError.malformed('Grok created a session without an id');
      sessionId = frame.session_id;
    } else if (event?.type === 'conversation.attached') {
      const id = event.conversation?.id;
      if (typeof id !== 'string' || !id) throw UpstreamError.malformed('Grok attached a conversation without an id');
      conversationId = id;
    } else {
      const failure = gatewayFailure(frame); // an error or an early end before the turn began
      if (failure) throw failure;
    }
  }
  if (sessionId !== conversationId) throw UpstreamError.malformed('Grok attached another conversation than the session it created');
  return sessionId;
}
