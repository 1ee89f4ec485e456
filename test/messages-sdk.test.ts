/**
 * The official `@anthropic-ai/sdk` against a running Switchboard, in front of the fake OpenAI
 * upstream and the mock provider: what a Claude Code or Anthropic SDK user sees.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { defaultReply, fakeUsage } from './fakes/openai-upstream.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function start(extra: Record<string, unknown> = {}): Promise<{ sb: RunningSwitchboard; client: Anthropic }> {
  const config = upstreamConfig(fake.up.url, extra);
  config.providers = [...(config.providers as unknown[]), { id: 'mock', plugin: 'mock' }];
  config.models = { 'claude-sonnet-4-5': 'up/gpt-4o-mini', 'claude-echo': 'mock/echo' };
  const sb = await sbs.start(config);
  return { sb, client: new Anthropic({ baseURL: sb.origin, apiKey: 'sk-test-client', maxRetries: 0 }) };
}

const question = 'Hello, gateway! ünïcødé ✓';
const asked = [{ role: 'user' as const, content: question }];

describe('messages.create and messages.stream', () => {
  it('answers non-streaming as an Anthropic message with the requested model and the upstream usage', async () => {
    const { client } = await start();
    const m = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 200, system: 'Be brief.', messages: asked });
    const expected = { messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: question }] };
    expect(m).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_reason: 'end_turn', stop_sequence: null });
    expect(m.id).toMatch(/^msg_/);
    expect(m.content).toEqual([{ type: 'text', text: defaultReply(expected) }]);
    const u = fakeUsage(expected);
    expect(m.usage).toEqual({ input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens });
    const seen = fake.up.requests.at(-1)!;
    expect(seen.body).toMatchObject({ model: 'gpt-4o-mini', max_tokens: 200, ...expected });
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-secret-0123456789');
  });

  it('streams: messages.stream() gives finalText() and the final message with usage', async () => {
    const { client } = await start();
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 200, messages: asked });
    const kinds: string[] = [];
    stream.on('streamEvent', (e) => kinds.push(e.type));
    expect(await stream.finalText()).toBe(defaultReply({ messages: asked }));
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('end_turn');
    expect(final.model).toBe('claude-sonnet-4-5');
    const u = fakeUsage({ messages: asked });
    expect(final.usage).toMatchObject({ input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens });
    expect(kinds[0]).toBe('message_start');
    expect(kinds.at(-1)).toBe('message_stop');
    expect(fake.up.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('accepts any anthropic-version, unknown anthropic-beta values, ?beta=true and a Bearer token', async () => {
    const { sb } = await start();
    const bearer = new Anthropic({ baseURL: sb.origin, authToken: 'sk-test-client', apiKey: null, maxRetries: 0, defaultHeaders: { 'anthropic-version': '2099-01-01' } });
    const m = await bearer.beta.messages.create({ model: 'claude-echo', max_tokens: 50, messages: [{ role: 'user', content: 'beta says hi' }], betas: ['made-up-beta-2099-01-01'] });
    expect(m.content).toEqual([{ type: 'text', text: 'beta says hi' }]);
    const res = await fetch(`${sb.origin}/v1/messages?beta=true`, {
      method: 'POST',
      headers: { 'x-api-key': 'sk-test-client', 'anthropic-version': '2023-01-01', 'anthropic-beta': 'nope-1,nope-2', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'claude-echo', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    expect(res.status).toBe(200);
  });
});

describe('tools, images, thinking', () => {
  const tools = [{ name: 'get_weather', description: 'Weather for a city', input_schema: { type: 'object' as const, properties: { text: { type: 'string' } } } }];

  it('round trip through the mock: tool_use with parsed input, then tool_result, then the answer', async () => {
    const { client } = await start();
    const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'Paris' }];
    const first = await client.messages.create({ model: 'claude-echo', max_tokens: 100, tools, tool_choice: { type: 'tool', name: 'get_weather' }, messages });
    expect(first.stop_reason).toBe('tool_use');
    const call = first.content.find((b) => b.type === 'tool_use')!;
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { text: 'Paris' } });
    messages.push({ role: 'assistant', content: first.content });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21 °C' }, { type: 'text', text: 'So it is sunny.' }] });
    const answer = await client.messages.create({ model: 'claude-echo', max_tokens: 100, tools, messages });
    expect(answer.stop_reason).toBe('end_turn');
    expect(answer.content).toEqual([{ type: 'text', text: 'So it is sunny.' }]);
  });

  it('streams a tool call as input_json_delta, which the SDK reassembles', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'tool-call', name: 'get_weather', args: '{"text":"Lyon, France"}' });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, tools, tool_choice: { type: 'any', disable_parallel_tool_use: true }, messages: asked });
    const final = await stream.finalMessage();
    expect(final.stop_reason).toBe('tool_use');
    expect(final.content).toEqual([{ type: 'tool_use', id: 'call_fake1', name: 'get_weather', input: { text: 'Lyon, France' } }]);
    const seen = fake.up.requests.at(-1)!.body!;
    expect(seen.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: tools[0].input_schema } }]);
    expect(seen).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false });
  });

  it('an image block reaches the upstream as an image_url data URL', async () => {
    const { client } = await start();
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
    await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 50,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }],
    });
    expect((fake.up.requests.at(-1)!.body!.messages as unknown[])[0]).toEqual({
      role: 'user',
      content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } }],
    });
  });

  it('reasoning_content becomes a thinking block, streamed and not', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'reasoning', reasoning: 'The user greets me.', text: 'Hi!' });
    const m = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: asked });
    expect(m.content).toEqual([{ type: 'thinking', thinking: 'The user greets me.', signature: '' }, { type: 'text', text: 'Hi!' }]);
    expect(fake.up.requests.at(-1)!.body).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 2000 });
    fake.up.script({ kind: 'reasoning', reasoning: 'Streaming thoughts here.', text: 'Hello there.' });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 20000 }, messages: asked });
    const thoughts: string[] = [];
    stream.on('thinking', (delta) => thoughts.push(delta));
    const final = await stream.finalMessage();
    expect(thoughts.join('')).toBe('Streaming thoughts here.');
    expect(final.content).toEqual([{ type: 'thinking', thinking: 'Streaming thoughts here.', signature: '' }, { type: 'text', text: 'Hello there.' }]);
  });
});

describe('count_tokens and models', () => {
  it('count_tokens answers an estimate and says so', async () => {
    const { sb, client } = await start();
    const r = await client.messages.countTokens({ model: 'claude-sonnet-4-5', system: 'Be brief.', messages: asked });
    expect(r.input_tokens).toBeGreaterThan(0);
    const res = await fetch(`${sb.origin}/v1/messages/count_tokens`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', messages: asked }) });
    expect(res.headers.get('x-switchboard-token-count')).toBe('estimate');
  });

  it('models.list answers in Anthropic shape', async () => {
    const { client } = await start();
    const ids: string[] = [];
    for await (const m of client.models.list()) {
      expect(m.type).toBe('model');
      expect(Number.isNaN(Date.parse(m.created_at))).toBe(false);
      ids.push(m.id);
    }
    expect(ids).toEqual(expect.arrayContaining(['claude-sonnet-4-5', 'claude-echo', 'mock/echo']));
  });
});
