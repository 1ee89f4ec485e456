import type { ChatCompletion } from '../../contract/openai.js';
import { jsonValue, type RawJson } from '../../contract/raw.js';
import type { ChatFormat } from '../chat-format.js';
import { responseOf, type ResponseShell } from './response-object.js';
import type { ResponseObject } from './types.js';
import { ResponsesStream } from './stream.js';

/** `/v1/responses`: one request's format, since every rendering carries that response's id and settings. */
export function responsesFormat(shell: ResponseShell, onEnd?: (response: ResponseObject, json: string) => void): ChatFormat {
  return {
    route: '/v1/responses',
    chunk: () => undefined,
    completion: (result: ChatCompletion | RawJson<ChatCompletion>) => {
      const response = responseOf(shell, jsonValue(result));
      const json = JSON.stringify(response);
      onEnd?.(response, json);
      return json;
    },
    stream: () => new ResponsesStream(shell, onEnd),
  };
}
