import { attachNative } from '../../contract/native.js';
import type { ChatRequest } from '../../contract/openai.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { toChatRequest } from './request.js';
import type { MessagesRequest } from './types.js';

/**
 * A `/v1/messages` request as the canonical chat request, carrying the client's body text for a
 * provider that speaks Messages itself. A block the translation refuses (a `document`, a block
 * type newer than this version) is not an error yet: the native provider takes it as it is, and
 * dispatch answers the refusal for any other target.
 */
export function nativeMessages(body: MessagesRequest, text: string, beta: string | string[] | undefined): ChatRequest {
  let canonical: ChatRequest;
  let untranslatable: GatewayError | undefined;
  try {
    canonical = toChatRequest(body);
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    untranslatable = err;
    canonical = { model: body.model, messages: [], max_tokens: body.max_tokens };
    if (body.stream) {
      canonical.stream = true;
      canonical.stream_options = { include_usage: true };
    }
  }
  const headers: Record<string, string> = {};
  if (beta !== undefined) headers['anthropic-beta'] = Array.isArray(beta) ? beta.join(',') : beta;
  return attachNative(canonical, { dialect: 'anthropic-messages', body: text, headers, untranslatable });
}
