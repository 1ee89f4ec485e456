/**
 * `item_reference` input items on POST /v1/responses, resolved from the responses Switchboard
 * stored: what clients that keep `store` on (the Vercel AI SDK's Responses model) send back
 * instead of an earlier answer's items.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { defaultReply } from './fakes/openai-upstream.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function client(): Promise<OpenAI> {
  const sb = await sbs.start(upstreamConfig(fake.up.url));
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
}

const weatherCall = {
  id: 'chatcmpl-w',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Let me look.', reasoning_content: 'Weather needs the tool.', tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] }, finish_reason: 'tool_calls' }],
  usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 },
};

describe('item_reference', () => {
  it('regression: references to a stored answer’s reasoning, message and function call are resolved, not refused', async () => {
    const openai = await client();
    fake.up.script({ kind: 'raw', contentType: 'application/json', pieces: [JSON.stringify(weatherCall)] });
    const first = await openai.responses.create({ model: 'gpt-4o-mini', input: 'Weather in Paris?' });
    const [rs, msg, fc] = first.output;
    expect([rs.type, msg.type, fc.type]).toEqual(['reasoning', 'message', 'function_call']);
    const second = await openai.responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'user', content: 'Weather in Paris?' },
        { type: 'item_reference', id: rs.id! },
        { type: 'item_reference', id: msg.id! },
        { type: 'item_reference', id: fc.id! },
        { type: 'function_call_output', call_id: 'call_w1', output: 'sunny' },
      ],
    });
    expect(second.status).toBe('completed');
    expect(fake.up.requests.at(-1)!.body!.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: 'Let me look.', tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_w1', content: 'sunny' },
    ]);
    // the stored input lists the items themselves, so they can be referenced again
    const items = await openai.responses.inputItems.list(second.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'reasoning', 'message', 'function_call', 'function_call_output']);
    expect(items.data[3]).toMatchObject({ id: fc.id, call_id: 'call_w1', name: 'weather' });
  });

  it('a reference to an earlier request’s input item is that item', async () => {
    const openai = await client();
    const first = await openai.responses.create({ model: 'gpt-4o-mini', input: 'Remember me' });
    const [asked] = (await openai.responses.inputItems.list(first.id)).data;
    await openai.responses.create({ model: 'gpt-4o-mini', input: [{ type: 'item_reference', id: asked.id }] });
    expect(fake.up.requests.at(-1)!.body!.messages).toEqual([{ role: 'user', content: 'Remember me' }]);
    expect(first.output_text).toBe(defaultReply({ messages: [{ role: 'user', content: 'Remember me' }] }));
  });

  it('an unknown item, or one of a response sent with store: false, is a 404 naming input[i].id', async () => {
    const openai = await client();
    const unstored = await openai.responses.create({ model: 'gpt-4o-mini', input: 'forget me', store: false });
    const posts = fake.up.requests.length;
    for (const id of ['msg_nope', 'msg_0123456789abcdef0123456789abcdef00', unstored.output[0].id!]) {
      const err = await openai.responses.create({ model: 'gpt-4o-mini', input: [{ role: 'user', content: 'x' }, { type: 'item_reference', id }] }).catch((e: unknown) => e);
      expect(err, id).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('input[1].id');
      expect((err as Error).message).toContain(id);
    }
    expect(fake.up.requests.length).toBe(posts);
  });
});
