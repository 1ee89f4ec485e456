/** The fake Anthropic API is faithful: the official SDK, pointed straight at it, parses what it says. */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicInputTokens, anthropicReply, FAKE_SIGNATURE, keyOf, overloaded, rateLimited, startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic-upstream.js';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ keys: ['sk-ant-good-1', 'sk-ant-good-2'] });
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());

const sdk = (apiKey = 'sk-ant-good-1') => new Anthropic({ baseURL: fake.url, apiKey, maxRetries: 0 });
const model = 'claude-sonnet-4-5-20250929';
const messages = [{ role: 'user' as const, content: 'hello there' }];

describe('fake Anthropic API through @anthropic-ai/sdk', () => {
  it('answers messages.create with a message the SDK types describe, and the rate-limit headers', async () => {
    const { data, response } = await sdk().messages.create({ model, max_tokens: 100, messages }).withResponse();
    expect(data.id).toMatch(/^msg_/);
    expect(data.type).toBe('message');
    expect(data.role).toBe('assistant');
    expect(data.model).toBe(model);
    expect(data.content).toEqual([{ type: 'text', text: anthropicReply({ messages }) }]);
    expect(data.stop_reason).toBe('end_turn');
    expect(data.stop_sequence).toBeNull();
    expect(data.usage.input_tokens).toBe(anthropicInputTokens({ messages }));
    expect(data.usage.output_tokens).toBeGreaterThan(0);
    expect(response.headers.get('request-id')).toMatch(/^req_/);
    expect(response.headers.get('anthropic-ratelimit-requests-remaining')).toBe('49');
    const sent = fake.messages()[0];
    expect(keyOf(sent)).toBe('sk-ant-good-1');
    expect(sent.headers['anthropic-version']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(JSON.parse(sent.raw)).toEqual(sent.body);
  });

  it('streams events the SDK folds: finalText, thinking with its signature, a tool call', async () => {
    const text = await sdk().messages.stream({ model, max_tokens: 100, messages }).finalText();
    expect(text).toBe(anthropicReply({ messages }));

    fake.script({ kind: 'ok', tool: { name: 'get_weather', input: { city: 'Paris', days: 3 } }, thinking: 'Weather means a tool.' });
    const stream = sdk().messages.stream({
      model,
      max_tokens: 4000,
      thinking: { type: 'enabled', budget_tokens: 2000 },
      tools: [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }],
      messages,
    });
    const events: string[] = [];
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    expect(final.content[0]).toEqual({ type: 'thinking', thinking: 'Weather means a tool.', signature: FAKE_SIGNATURE });
    expect(final.content[1]).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris', days: 3 } });
    expect((final.content[1] as { id: string }).id).toMatch(/^toolu_/);
    expect(final.stop_reason).toBe('tool_use');
    expect(events[0]).toBe('message_start');
    expect(events.at(-1)).toBe('message_stop');
    expect(events).toContain('message_delta');
  });

  it('refuses a bad key, an unknown field, a missing max_tokens and an unknown model as the real API does', async () => {
    const err = await sdk('sk-ant-wrong').messages.create({ model, max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((err as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } });

    const extra = await sdk().messages.create({ model, max_tokens: 10, messages, frequency_penalty: 1 } as never).catch((e: unknown) => e);
    expect(extra).toBeInstanceOf(Anthropic.BadRequestError);
    expect((extra as Error).message).toContain('frequency_penalty: Extra inputs are not permitted');

    const unknown = await sdk().messages.create({ model: 'claude-nope', max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(Anthropic.NotFoundError);
    expect((unknown as Error).message).toContain('model: claude-nope');

    const post = (headers: Record<string, string>) =>
      fetch(`${fake.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ model, max_tokens: 5, messages }) });
    const byHeader = await post({ 'x-api-key': 'sk-ant-good-2', 'anthropic-version': '2023-06-01' });
    expect(byHeader.status).toBe(200);
    const noKey = await post({ 'anthropic-version': '2023-06-01' });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error', message: 'x-api-key header is required' } });
    const noVersion = await post({ 'x-api-key': 'sk-ant-good-1' });
    expect(noVersion.status).toBe(400);
    expect(await noVersion.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' } });
  });

  it('scripts 429 with retry-after and rate-limit headers, 529 overloaded, and an error event mid-stream', async () => {
    fake.script(rateLimited(12), overloaded, { kind: 'stream-error', events: 3, type: 'overloaded_error' });
    const limited = await sdk().messages.create({ model, max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(Anthropic.RateLimitError);
    const h = (limited as InstanceType<typeof Anthropic.APIError>).headers!;
    expect(h.get('retry-after')).toBe('12');
    expect(h.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(Date.parse(h.get('anthropic-ratelimit-requests-reset')!)).toBeGreaterThan(Date.now());

    const busy = await sdk().messages.create({ model, max_tokens: 10, messages }).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(Anthropic.InternalServerError);
    expect((busy as InstanceType<typeof Anthropic.APIError>).status).toBe(529);

    const cut = await sdk().messages.stream({ model, max_tokens: 100, messages }).finalText().catch((e: unknown) => e);
    expect(cut).toBeInstanceOf(Anthropic.APIError);
    expect((cut as Error).message).toContain('overloaded_error');
  });

  it('a cut stream makes the SDK throw', async () => {
    fake.script({ kind: 'cut-after', events: 4 });
    await expect(sdk().messages.stream({ model, max_tokens: 100, messages }).finalText()).rejects.toThrow();
  });

  it('lists models page by page and counts tokens', async () => {
    const page = await sdk().models.list({ limit: 2 });
    expect(page.data.map((m) => m.id)).toEqual(['claude-sonnet-4-5-20250929', 'claude-opus-4-1-20250805']);
    expect(page.data[0]).toMatchObject({ type: 'model', display_name: 'Claude Sonnet 4.5' });
    expect(page.has_more).toBe(true);
    const all: string[] = [];
    for await (const m of sdk().models.list({ limit: 2 })) all.push(m.id);
    expect(all).toHaveLength(3);

    const counted = await sdk().messages.countTokens({ model, messages });
    expect(counted).toEqual({ input_tokens: anthropicInputTokens({ messages }) });
  });

  it('keeps tool results honest: one that answers no tool call is refused', async () => {
    const err = await sdk()
      .messages.create({ model, max_tokens: 10, messages: [{ role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_x', content: '1' }] }] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.BadRequestError);
    expect((err as Error).message).toContain('unexpected `tool_use_id`');
  });
});
