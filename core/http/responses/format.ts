import type { ChatCompletion } from '../../contract/openai.js';
import { jsonValue, type RawJson } from '../../contract/raw.js';
import type { ChatFormat } from '../chat-format.js';
import { responseOf, type ResponseShell } from './response-object.js';
import { ResponsesStream } from './stream.js';

/** `/v1/responses`: one request's format, since every rendering carries that response's id and settings. */
export function responsesFormat(shell: ResponseShell): ChatFormat {
  return {
    chunk: () => undefined,
    completion: (result: ChatCompletion | RawJson<ChatCompletion>) => JSON.stringify(responseOf(shell, jsonValue(result))),
    stream: () => new ResponsesStream(shell),
  };
}
