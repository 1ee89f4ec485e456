import { GatewayError } from '../../errors/gateway-error.js';
import type { StoredResponse } from './store.js';
import type { InputItem, OutputItem } from './types.js';

/**
 * `item_reference` input items, resolved from stored responses. Clients that keep `store` on (the
 * Vercel AI SDK's Responses model does by default) send an earlier answer's items back by id
 * alone; the items themselves are in the response Switchboard stored.
 */

/** Switchboard's item ids carry their response's: `msg_<tail><n>`, `fc_…`, `rs_…` belong to `resp_<tail>`. */
const OWN_ITEM = /^[a-z]+_([0-9a-f]{32})[0-9a-f]{2,}$/;

const isReference = (item: InputItem) => typeof item === 'object' && item !== null && item.type === 'item_reference';

/** An output item as the input item that sends it back. */
function asInput(item: OutputItem): InputItem {
  if (item.type === 'message') return { id: item.id, type: 'message', role: 'assistant', content: item.content };
  if (item.type === 'function_call') return { id: item.id, type: 'function_call', call_id: item.call_id, name: item.name, arguments: item.arguments };
  if (item.type === 'custom_tool_call') return { id: item.id, type: 'custom_tool_call', call_id: item.call_id, name: item.name, input: item.input };
  return { id: item.id, type: 'reasoning', summary: item.summary };
}

/** `input` with each `item_reference` replaced by the item it names (the same list when there is none). */
export async function resolveReferences(
  input: string | InputItem[] | undefined,
  load: (responseId: string) => Promise<StoredResponse | undefined>,
): Promise<string | InputItem[] | undefined> {
  if (!Array.isArray(input) || !input.some(isReference)) return input;
  const loaded = new Map<string, Promise<StoredResponse | undefined>>();
  return Promise.all(
    input.map(async (item, i) => {
      if (!isReference(item)) return item;
      const id = item.id;
      if (typeof id !== 'string') {
        throw new GatewayError('SWB_ERR_MISSING_PARAM', `Missing required parameter: 'input[${i}].id'.`, { param: `input[${i}].id` });
      }
      const tail = OWN_ITEM.exec(id)?.[1];
      let stored: StoredResponse | undefined;
      if (tail) {
        const responseId = `resp_${tail}`;
        if (!loaded.has(responseId)) loaded.set(responseId, load(responseId));
        stored = await loaded.get(responseId);
      }
      const output = stored?.response.output.find((o) => o.id === id);
      const found = output ? asInput(output) : stored?.input.find((o) => o.id === id);
      if (!found) {
        throw new GatewayError(
          'SWB_ERR_RESPONSE_NOT_FOUND',
          `Item with id '${id.slice(0, 140)}' not found: an item_reference names an item of a response Switchboard stored (not one sent with store: false, expired or deleted); send the item itself.`,
          { param: `input[${i}].id` },
        );
      }
      return found;
    }),
  );
}
