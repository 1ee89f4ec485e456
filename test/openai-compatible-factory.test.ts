/**
 * openaiCompatible({...}) end to end: a variant written in a few lines (test/fixtures/plugins/
 * acme-provider.ts) behind a real Switchboard, checked by what the fake upstream received.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openaiCompatible } from '../core/index.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
const fake = useFakeOpenAI();
const switchboards = useSwitchboards();

async function start() {
  const sb = await switchboards.start({ providers: [{ id: 'acme', plugin: './acme-provider.ts', baseUrl: fake.up.url, credentials: ['acme-key-0000000001'] }] }, { dir: fixtures });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'x', maxRetries: 0 });
}
const chats = () => fake.up.requests.filter((r) => r.path === '/v1/chat/completions');

describe('a variant built with openaiCompatible', () => {
  it('lists the discovered models under its own names', async () => {
    const client = await start();
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['acme/acme-gpt-4o-mini', 'acme/acme-gpt-4o']));
    const discovery = fake.up.requests.find((r) => r.path === '/v1/models')!;
    expect(discovery.headers['x-acme-key']).toBe('acme-key-0000000001');
  });

  it('sends its headers, the upstream model id and the rewritten body; answers under its own name', async () => {
    const client = await start();
    const r = await client.chat.completions.create({ model: 'acme/acme-gpt-4o-mini', user: 'someone', temperature: 1.5, messages: [{ role: 'user', content: 'hi' }] });
    expect(r.choices[0].message.content).toContain('You said: hi');
    expect(r.model).toBe('acme-gpt-4o-mini');
    const [sent] = chats();
    expect(sent.headers['x-acme-client']).toBe('switchboard');
    expect(sent.headers['x-acme-key']).toBe('acme-key-0000000001');
    expect(sent.headers.authorization).toBeUndefined();
    expect(sent.body?.model).toBe('gpt-4o-mini');
    expect(sent.body?.temperature).toBe(0);
    expect(sent.body?.acme_trace).toBe(true);
    expect(sent.body).not.toHaveProperty('user');
  });

  it('streams with the same rewrites, every chunk under its own name', async () => {
    const client = await start();
    const s = await client.chat.completions.create({ model: 'acme/acme-gpt-4o', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'streamed' }] });
    let text = '';
    const models = new Set<string>();
    for await (const c of s) {
      text += c.choices[0]?.delta.content ?? '';
      models.add(c.model);
    }
    expect(text).toContain('You said: streamed');
    expect([...models]).toEqual(['acme-gpt-4o']);
    const [sent] = chats();
    expect(sent.body?.model).toBe('gpt-4o');
    expect(sent.body?.stream).toBe(true);
    expect(sent.body?.acme_trace).toBe(true);
  });
});

describe('openaiCompatible options', () => {
  it('discovery: false lists nothing and asks the upstream nothing', async () => {
    const provider = openaiCompatible({ baseUrl: fake.up.url, discovery: false });
    try {
      expect(await provider.listModels()).toEqual([]);
      expect(fake.up.requests).toHaveLength(0);
    } finally {
      await provider.close();
    }
  });

  it('adds resolveModel, classify and rateLimitScope only when given', async () => {
    const plain = openaiCompatible({ baseUrl: fake.up.url });
    const classify = () => 'transient' as const;
    const custom = openaiCompatible({ baseUrl: fake.up.url, modelNames: { toUpstream: (m) => `v/${m}` }, classify, rateLimitScope: 'credential' });
    try {
      expect('resolveModel' in plain || 'classify' in plain || 'rateLimitScope' in plain).toBe(false);
      expect(custom.resolveModel?.('m')).toBe('v/m');
      expect(custom.classify).toBe(classify);
      expect(custom.rateLimitScope).toBe('credential');
    } finally {
      await plain.close();
      await custom.close();
    }
  });
});
