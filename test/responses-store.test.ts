/**
 * Stored responses through the openai SDK: `store` + `previous_response_id` continue a
 * conversation (on any target), `retrieve`, `inputItems.list`, `delete`, and a restart with the
 * file driver keeps them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swb-responses-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true, maxRetries: 5 });
});

/** `store` is in the response body, though not in the SDK's type. */
const storeOf = (r: object) => (r as { store?: boolean }).store;

async function start(extra: Record<string, unknown> = {}) {
  const config = upstreamConfig(fake.up.url, extra);
  (config.providers as unknown[]).push({ id: 'mock', plugin: 'mock', ...ONE_ATTEMPT });
  const sb = await sbs.start(config);
  return { sb, client: new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 }) };
}

describe('stored responses', () => {
  it('previous_response_id continues the conversation, on another target too', async () => {
    const { client } = await start();
    const first = await client.responses.create({ model: 'mock/echo', input: 'My name is Ada.', instructions: 'old instructions', store: true });
    expect(storeOf(first)).toBe(true);
    const second = await client.responses.create({ model: 'gpt-4o-mini', input: 'What is my name?', instructions: 'new instructions', previous_response_id: first.id });
    expect(second.previous_response_id).toBe(first.id);
    expect(fake.up.requests.at(-1)!.body!.messages).toEqual([
      { role: 'system', content: 'new instructions' }, // instructions are not carried over
      { role: 'user', content: 'My name is Ada.' },
      { role: 'assistant', content: first.output_text },
      { role: 'user', content: 'What is my name?' },
    ]);
    // a streamed answer is stored as well, and continues the chain
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'And again?', previous_response_id: second.id, stream: true });
    let thirdId = '';
    for await (const e of stream) if (e.type === 'response.completed') thirdId = e.response.id;
    await client.responses.create({ model: 'gpt-4o-mini', input: 'last', previous_response_id: thirdId });
    const chain = fake.up.requests.at(-1)!.body!.messages as { role: string }[];
    expect(chain.map((m) => m.role)).toEqual(['user', 'assistant', 'user', 'assistant', 'user', 'assistant', 'user']);
  });

  it('retrieve, input_items and delete; an unknown id is a 404 naming previous_response_id', async () => {
    const { sb, client } = await start();
    const r = await client.responses.create({
      model: 'gpt-4o-mini',
      input: [{ role: 'user', content: 'one' }, { role: 'user', content: [{ type: 'input_text', text: 'two' }] }],
    });
    const got = await client.responses.retrieve(r.id);
    expect(got).toMatchObject({ id: r.id, status: 'completed', output: r.output });
    const items = await client.responses.inputItems.list(r.id, { order: 'asc' });
    expect(items.data.map((i) => i.type)).toEqual(['message', 'message']);
    expect(items.data.every((i) => typeof i.id === 'string' && i.id)).toBe(true);
    const desc = await client.responses.inputItems.list(r.id);
    expect(desc.data.map((i) => i.id)).toEqual(items.data.map((i) => i.id).reverse());

    const deleted = await fetch(`${sb.baseURL}/responses/${r.id}`, { method: 'DELETE', headers: { authorization: 'Bearer sk-test-client' } });
    expect(await deleted.json()).toEqual({ id: r.id, object: 'response.deleted', deleted: true });
    await expect(client.responses.delete(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError); // gone already
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const err = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', previous_response_id: r.id }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).toBe('previous_response_id');
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('response_not_found');
  });

  it('store: false keeps nothing', async () => {
    const { client } = await start();
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'ephemeral', store: false });
    expect(storeOf(r)).toBe(false);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('responses.maxStored: 0 turns storing off', async () => {
    const { client } = await start({ responses: { maxStored: 0 } });
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', store: true });
    expect(storeOf(r)).toBe(false);
    await expect(client.responses.retrieve(r.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it('survives a restart with the file driver', async () => {
    const state = { driver: 'file', path: join(dir, 'state.json'), debounceMs: 10 };
    const one = await start({ state });
    const r = await one.client.responses.create({ model: 'gpt-4o-mini', input: 'Remember 42.' });
    await one.sb.close();
    const two = await start({ state });
    expect((await two.client.responses.retrieve(r.id)).output_text).toBe(r.output_text);
    await two.client.responses.create({ model: 'gpt-4o-mini', input: 'What number?', previous_response_id: r.id });
    expect((fake.up.requests.at(-1)!.body!.messages as { content: string }[]).map((m) => m.content)).toEqual(['Remember 42.', r.output_text, 'What number?']);
  });
});
