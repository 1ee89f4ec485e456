import type { ChatCompletion } from '../../contract/openai.js';
import { jsonValue, type RawJson } from '../../contract/raw.js';
import { nativeOutput } from '../../contract/native.js';
import type { ChatFormat } from '../chat-format.js';
import { toMessage } from './message.js';
import { AnthropicStream } from './stream.js';

/**
 * How `/v1/messages` writes canonical answers, for one request: `model` is the name the client
 * sent (dispatch rewrites the body's to the upstream id), `stopSequences` tell a matched stop
 * string from an end of turn.
 */
export function messagesFormat(model: string, stopSequences: readonly string[] | undefined): ChatFormat {
  return {
    route: '/v1/messages',
    chunk: () => undefined, // unused: stream() renders
    // An upstream that speaks Messages itself answered: its body goes out as it came.
    completion: (result: ChatCompletion | RawJson<ChatCompletion>) => nativeOutput(result) ?? JSON.stringify(toMessage(jsonValue(result), model, stopSequences)),
    stream: () => new AnthropicStream(model, stopSequences),
  };
}
