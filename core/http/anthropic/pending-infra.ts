// TEMPORARY: the shapes of core/http/chat-format.ts's EventSink and StreamRenderer until infra15 lands.
import type { ChatChunk } from '../../contract/openai.js';
import type { GatewayError } from '../../errors/gateway-error.js';
export interface EventSink { data(json: string): void; event(name: string, json: string): void }
export interface StreamRenderer {
  chunk(chunk: ChatChunk, out: EventSink): void;
  done(out: EventSink): void;
  fail(error: GatewayError, out: EventSink): void;
}
