/** The openai-compatible provider's own options: credentials, headers, model lists, proxy. */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startFakeProxy, type FakeProxy } from './fakes/http-proxy.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function setup(provider: Record<string, unknown>, fake?: FakeOpenAI): Promise<{ up: FakeOpenAI; sb: RunningSwitchboard; client: OpenAI }> {
  const up = fake ?? (await startFakeOpenAI());
  open.push(up);
  const sb = await startSwitchboard({ providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: up.url, ...provider }] });
  open.push(sb);
  return { up, sb, client: new OpenAI({ baseURL: sb.baseURL, apiKey: 'x', maxRetries: 0 }) };
}

const chat = (client: OpenAI, model = 'up/gpt-4o-mini') => client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
const chats = (up: FakeOpenAI) => up.requests.filter((r) => r.path === '/v1/chat/completions');

describe('openai-compatible provider', () => {
  it('uses its credentials in turn and sends its extra headers', async () => {
    const { up, client } = await setup({
      credentials: ['sk-one-000000000001', 'sk-two-000000000002', 'sk-three-0000000003'],
      headers: { 'HTTP-Referer': 'https://example.org', 'X-Title': 'Switchboard' },
      models: ['gpt-4o-mini'],
    });
    for (let i = 0; i < 6; i++) await chat(client);
    expect(chats(up).map((r) => r.headers.authorization)).toEqual(
      ['sk-one-000000000001', 'sk-two-000000000002', 'sk-three-0000000003', 'sk-one-000000000001', 'sk-two-000000000002', 'sk-three-0000000003'].map((k) => `Bearer ${k}`),
    );
    expect(chats(up)[0].headers['http-referer']).toBe('https://example.org');
    expect(chats(up)[0].headers['x-title']).toBe('Switchboard');
  });

  it('sends no Authorization header when it has no credential', async () => {
    const { up, client } = await setup({ models: ['gpt-4o-mini'] });
    await chat(client);
    expect(chats(up)[0].headers.authorization).toBeUndefined();
  });

  it('a static model list means no discovery request', async () => {
    const { up, client } = await setup({ models: ['only-this'] });
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(['up/only-this']);
    expect(up.requests.filter((r) => r.path === '/v1/models')).toHaveLength(0);
  });

  it('discovers models from GET /models once, and refreshes after the TTL', async () => {
    const { up, client } = await setup({ modelsCacheTtlMs: 300 });
    const discoveries = () => up.requests.filter((r) => r.path === '/v1/models').length;
    await expect.poll(discoveries).toBe(1); // started at boot
    for (let i = 0; i < 3; i++) await client.models.list();
    await chat(client, 'gpt-4o'); // a bare id resolved from the cached list
    expect(discoveries()).toBe(1);
    await new Promise((r) => setTimeout(r, 350));
    await client.models.list(); // stale: served at once, refreshed behind
    await expect.poll(discoveries).toBe(2);
  });

  it('keeps the last known list when the upstream stops answering', async () => {
    const { up, sb, client } = await setup({ modelsCacheTtlMs: 100 });
    await expect.poll(() => up.requests.filter((r) => r.path === '/v1/models').length).toBe(1);
    await up.close();
    await new Promise((r) => setTimeout(r, 150));
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toContain('up/gpt-4o-mini');
    expect((await client.models.list()).data.length).toBe(ids.length);
    expect(sb.logText()).toContain('model discovery failed');
  });

  it('reaches the upstream through proxyUrl', async () => {
    const proxy: FakeProxy = await startFakeProxy();
    open.push(proxy);
    const { up, client } = await setup({ proxyUrl: proxy.url, models: ['gpt-4o-mini'] });
    const r = await chat(client);
    expect(r.choices[0].message.content).toContain('You said: hi');
    const port = new URL(up.url).port;
    expect(proxy.seen.some((s) => s.includes(`127.0.0.1:${port}`))).toBe(true);
    const s = await client.chat.completions.create({ model: 'up/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'streamed' }] });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    expect(text).toContain('You said: streamed');
  });
});
