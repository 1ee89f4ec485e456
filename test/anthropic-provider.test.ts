/** The openai SDK -> Switchboard -> the `anthropic` provider -> the fake Anthropic API, over real sockets. */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicReply, FAKE_SIGNATURE, keyOf, overloaded, rateLimited, startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic-upstream.js';
import { useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, type RunningSwitchboard } from './helpers/switchboard.js';

const KEYS = ['sk-ant-api03-first-0000000000000001', 'sk-ant-api03-second-000000000000002', 'sk-ant-api03-third-0000000000000003'];
const MODEL = 'claude/claude-sonnet-4-5-20250929';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ keys: KEYS });
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());
const sbs = useSwitchboards();

async function setup(provider: Record<string, unknown> = {}): Promise<{ sb: RunningSwitchboard; client: OpenAI }> {
  const sb = await sbs.start({
    providers: [{ id: 'claude', plugin: 'anthropic', baseUrl: fake.url, credentials: KEYS, timeouts: { firstByteMs: 2000, idleMs: 2000, totalMs: 10000 }, ...ONE_ATTEMPT, ...provider }],
  });
  return { sb, client: new OpenAI({ baseURL: sb.baseURL, apiKey: 'x', maxRetries: 0 }) };
}
const sent = (i = -1) => fake.messages().at(i)!.body as Record<string, any>;
const pool = (sb: RunningSwitchboard) => sb.app.switchboard.providers.get('claude')!.pool.snapshot();

describe('anthropic provider: translation', () => {
  it('non-stream: system, stop, user and temperature map to the Messages body; the answer comes back as a chat.completion', async () => {
    const { client, sb } = await setup();
    const messages = [
      { role: 'system' as const, content: 'Be brief.' },
      { role: 'user' as const, content: 'hello there' },
    ];
    const res = await client.chat.completions.create({ model: MODEL, messages, stop: 'zzz', user: 'u-42', temperature: 0.5 });
    expect(res.choices[0].message.content).toBe(anthropicReply({ messages: [{ role: 'user', content: 'hello there' }] }));
    expect(res.choices[0].finish_reason).toBe('stop');
    expect(res.id).toMatch(/^msg_/);
    expect(res.model).toBe('claude-sonnet-4-5-20250929');
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens);
    expect(res.usage).toMatchObject({ cache_creation_input_tokens: 0, cache_read_input_tokens: 0 });

    const r = fake.messages()[0];
    expect(r.headers['x-api-key']).toBe(KEYS[0]);
    expect(r.headers.authorization).toBeUndefined();
    expect(r.headers['anthropic-version']).toBe('2023-06-01');
    expect(r.body).toEqual({
      model: 'claude-sonnet-4-5-20250929',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }],
      system: 'Be brief.',
      max_tokens: 4096,
      stop_sequences: ['zzz'],
      temperature: 0.5,
      metadata: { user_id: 'u-42' },
    });
    // a successful answer's rate-limit headers reach the pool
    expect(pool(sb)[0].quota).toMatchObject({ remaining: 49, limit: 50 });
  });

  it('stream: the role chunk first, text deltas, the finish chunk last, then usage when asked', async () => {
    const { client } = await setup();
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'stream please' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(anthropicReply({ messages: [{ role: 'user', content: 'stream please' }] }));
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish).toHaveLength(1);
    expect(finish[0].choices[0].finish_reason).toBe('stop');
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage!.completion_tokens).toBeGreaterThan(0);
    expect(last.usage!.prompt_tokens).toBeGreaterThan(0);
    expect(sent().stream).toBe(true);
  });

  it('tools round trip: tool_use comes back as tool_calls, tool results go up as tool_result blocks', async () => {
    const { client } = await setup();
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'Weather by city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    fake.script({ kind: 'ok', tool: { name: 'get_weather', input: { city: 'Paris' } } });
    const first = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'weather in Paris?' }], tools, tool_choice: 'required', parallel_tool_calls: false });
    const call = first.choices[0].message.tool_calls![0] as OpenAI.Chat.ChatCompletionMessageFunctionToolCall;
    expect(first.choices[0].finish_reason).toBe('tool_calls');
    expect(first.choices[0].message.content).toBeNull();
    expect(call.id).toMatch(/^toolu_/);
    expect(JSON.parse(call.function.arguments)).toEqual({ city: 'Paris' });
    expect(sent().tools).toEqual([{ name: 'get_weather', description: 'Weather by city', input_schema: tools[0].function.parameters }]);
    expect(sent().tool_choice).toEqual({ type: 'any', disable_parallel_tool_use: true });

    // streamed too: id and name first, then the arguments in fragments
    fake.script({ kind: 'ok', tool: { name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } } });
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'weather in Paris?' }], tools, stream: true });
    const deltas = [];
    for await (const c of stream) deltas.push(...(c.choices[0]?.delta.tool_calls ?? []));
    expect(deltas[0]).toMatchObject({ index: 0, id: expect.stringMatching(/^toolu_/), function: { name: 'get_weather' } });
    expect(JSON.parse(deltas.map((d) => d.function?.arguments ?? '').join(''))).toEqual({ city: 'Paris', unit: 'celsius' });

    const answer = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: 'user', content: 'weather in Paris?' },
        first.choices[0].message,
        { role: 'tool', tool_call_id: call.id, content: 'sunny, 21 C' },
      ],
    });
    expect(answer.choices[0].message.content).toBe('You said: sunny, 21 C — and that is all.');
    expect(sent().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'weather in Paris?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: call.id, name: 'get_weather', input: { city: 'Paris' } }] },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny, 21 C' }] },
    ]);
  });

  it('parallel tool results merge into one user turn, with a user message after them', async () => {
    const { client } = await setup();
    const call = (id: string, city: string) => ({ id, type: 'function' as const, function: { name: 'get_weather', arguments: JSON.stringify({ city }) } });
    await client.chat.completions.create({
      model: MODEL,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
      messages: [
        { role: 'user', content: 'Paris and Rome?' },
        { role: 'assistant', content: 'Checking both.', tool_calls: [call('toolu_a', 'Paris'), call('toolu_b', 'Rome')] },
        { role: 'tool', tool_call_id: 'toolu_a', content: 'sunny' },
        { role: 'tool', tool_call_id: 'toolu_b', content: [{ type: 'text', text: 'rain' }] },
        { role: 'user', content: 'which is better?' },
      ],
    });
    expect(sent().messages.slice(1)).toEqual([
      { role: 'assistant', content: [{ type: 'text', text: 'Checking both.' }, { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Paris' } }, { type: 'tool_use', id: 'toolu_b', name: 'get_weather', input: { city: 'Rome' } }] },
      { role: 'user', content: [
        { type: 'tool_result', tool_use_id: 'toolu_a', content: 'sunny' },
        { type: 'tool_result', tool_use_id: 'toolu_b', content: [{ type: 'text', text: 'rain' }] },
        { type: 'text', text: 'which is better?' },
      ] },
    ]);
  });

  it('image input: data: URLs become base64 sources, https URLs url sources', async () => {
    const { client } = await setup();
    const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';
    const res = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: 'user', content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png}` } },
        { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      ] }],
    });
    expect(res.choices[0].message.content).toBe('You said: what is this? [image] [image] — and that is all.');
    expect(sent().messages[0].content).toEqual([
      { type: 'text', text: 'what is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
    ]);
  });

  it('reasoning_effort becomes a thinking budget; thinking comes back as reasoning_content, with signatures to send back', async () => {
    const { client } = await setup();
    fake.script({ kind: 'ok', thinking: 'The user greets me.' });
    const res = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'low' });
    const message = res.choices[0].message as OpenAI.Chat.ChatCompletionMessage & { reasoning_content?: string; thinking_blocks?: unknown[] };
    expect(message.reasoning_content).toBe('The user greets me.');
    expect(message.thinking_blocks).toEqual([{ type: 'thinking', thinking: 'The user greets me.', signature: FAKE_SIGNATURE }]);
    expect(sent().thinking).toEqual({ type: 'enabled', budget_tokens: 2048 });
    expect(sent().max_tokens).toBe(4096 + 2048);

    // the budget fits under the client's own limit
    await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'high', max_completion_tokens: 3000 });
    expect(sent()).toMatchObject({ max_tokens: 3000, thinking: { type: 'enabled', budget_tokens: 2999 } });

    // streamed thinking arrives as reasoning_content deltas
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], reasoning_effort: 'minimal', stream: true });
    let reasoning = '';
    const blocks: unknown[] = [];
    for await (const c of stream) {
      const delta = c.choices[0]?.delta as { reasoning_content?: string; thinking_blocks?: unknown[] } | undefined;
      reasoning += delta?.reasoning_content ?? '';
      blocks.push(...(delta?.thinking_blocks ?? []));
    }
    expect(reasoning).toBe('Let me think about that.');
    // and the signed block, whole, when it closes: what the client must send back
    expect(blocks).toEqual([{ type: 'thinking', thinking: 'Let me think about that.', signature: FAKE_SIGNATURE }]);

    // the assistant turn goes back with its thinking block first
    await client.chat.completions.create({ model: MODEL, reasoning_effort: 'low', messages: [{ role: 'user', content: 'hi' }, message as OpenAI.Chat.ChatCompletionAssistantMessageParam, { role: 'user', content: 'again' }] });
    expect(sent().messages[1].content[0]).toEqual({ type: 'thinking', thinking: 'The user greets me.', signature: FAKE_SIGNATURE });
  });

  it('refuses what Anthropic cannot take with a 400 naming the field', async () => {
    const { client } = await setup();
    const fail = (body: Record<string, unknown>) =>
      client.chat.completions
        .create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...body } as never)
        .then(() => undefined, (e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    for (const [body, param] of [
      [{ n: 2 }, 'n'],
      [{ response_format: { type: 'json_object' } }, 'response_format'],
      [{ reasoning_effort: 'extreme' }, 'reasoning_effort'],
      [{ messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }, 'messages[0].content[0].type'],
      [{ messages: [{ role: 'user', content: [null] }] }, 'messages[0].content[0].type'],
      [{ messages: [{ role: 'assistant', content: null, tool_calls: [null] }, { role: 'user', content: 'hi' }] }, 'messages[0].tool_calls[0]'],
      [{ messages: [{ role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{oops' } }] }] }, 'messages[0].tool_calls[0].function.arguments'],
      [{ messages: [{ role: 'tool', content: 'x' }] }, 'messages[0].tool_call_id'],
      [{ tools: [{ type: 'web_search' }] }, 'tools[0]'],
      [{ tool_choice: 'sometimes' }, 'tool_choice'],
    ] as const) {
      const err = await fail(body);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect(err?.param).toBe(param);
    }
    expect(fake.messages()).toHaveLength(0);
  });

  it('lists the upstream models, and an unknown model is model_not_found', async () => {
    const { client } = await setup();
    const ids = (await client.models.list()).data.map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining(['claude/claude-sonnet-4-5-20250929', 'claude/claude-haiku-4-5-20251001']));
    const err = await client.chat.completions.create({ model: 'claude/claude-nope', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });
});

describe('anthropic provider: failures', () => {
  it('429 rotates to the next key, which the pool shows cooling down for the stated wait', async () => {
    const { client, sb } = await setup();
    fake.whenKey([KEYS[0]], rateLimited(30));
    const res = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toContain('You said: hi');
    expect(fake.keysSeen()).toEqual([KEYS[0], KEYS[1]]);
    const first = pool(sb)[0].models['claude-sonnet-4-5-20250929'];
    expect(first.cooldownReason).toMatch(/rate limited/);
    expect(first.cooldownUntil! - Date.now()).toBeGreaterThan(25_000);
    expect(first.cooldownUntil! - Date.now()).toBeLessThanOrEqual(30_000);
  });

  it('401 disables the key; the next one serves', async () => {
    const { client, sb } = await setup({ credentials: ['sk-ant-api03-revoked-00000000000009', KEYS[1]] });
    const res = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toContain('You said: hi');
    expect(pool(sb)[0]).toMatchObject({ enabled: false, disabledReason: 'credential_invalid' });
    expect(pool(sb)[1].enabled).toBe(true);
  });

  it('529 overloaded is transient: retried on another key', async () => {
    const { client } = await setup({ retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 } });
    fake.script(overloaded);
    const res = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toContain('You said: hi');
    expect(fake.keysSeen()).toHaveLength(2);
    expect(new Set(fake.keysSeen()).size).toBe(2);
  });

  it('529 on every attempt fails over to the next target', async () => {
    const sb = await sbs.start({
      providers: [
        { id: 'claude', plugin: 'anthropic', baseUrl: fake.url, credentials: [KEYS[0]], ...ONE_ATTEMPT },
        { id: 'backup', plugin: 'anthropic', baseUrl: fake.url, credentials: [KEYS[2]], ...ONE_ATTEMPT },
      ],
      models: { sonnet: ['claude/claude-sonnet-4-5-20250929', 'backup/claude-sonnet-4-5-20250929'] },
    });
    fake.whenKey([KEYS[0]], overloaded);
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'x', maxRetries: 0 });
    const res = await client.chat.completions.create({ model: 'sonnet', messages: [{ role: 'user', content: 'hi' }] });
    expect(res.choices[0].message.content).toContain('You said: hi');
    expect(fake.keysSeen()).toEqual([KEYS[0], KEYS[2]]);
  });

  it('an overloaded_error before the first text fails over unseen: the client gets a whole answer', async () => {
    const { client } = await setup({ retry: { attempts: 2, initialDelayMs: 1, maxDelayMs: 1 } });
    fake.script({ kind: 'stream-error', events: 3, type: 'overloaded_error' }); // message_start, content_block_start, ping, then the error
    const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe(anthropicReply({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(fake.keysSeen()).toHaveLength(2);
  });

  it('a 400 from Anthropic is the client error, passed on and not retried', async () => {
    const { client } = await setup();
    fake.script({ kind: 'error', status: 400, type: 'invalid_request_error', message: 'messages: roles must alternate' });
    const err = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as Error).message).toContain('messages: roles must alternate');
    expect(fake.messages()).toHaveLength(1);
  });

  it('a stream cut mid-way, or an error event mid-stream, makes the SDK stream throw', async () => {
    const { client } = await setup();
    const read = async () => {
      const stream = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'a long answer please' }], stream: true });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      return text;
    };
    fake.script({ kind: 'cut-after', events: 5 });
    await expect(read()).rejects.toThrow();
    fake.script({ kind: 'stream-error', events: 5, type: 'overloaded_error', message: 'Overloaded' });
    const err = await read().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as Error).message).toContain('Overloaded');
  });

  it('never puts a key in the logs or in an error', async () => {
    const { client, sb } = await setup({ credentials: ['sk-ant-api03-revoked-00000000000009', KEYS[1]] });
    fake.whenKey([KEYS[1]], { kind: 'error', status: 500, type: 'api_error', message: `Internal error for key ${KEYS[1]}` });
    const err = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.APIError);
    const text = `${(err as Error).message} ${JSON.stringify((err as InstanceType<typeof OpenAI.APIError>).error)}`;
    for (const k of ['sk-ant-api03-revoked-00000000000009', KEYS[1]]) {
      expect(text).not.toContain(k);
      expect(sb.logText()).not.toContain(k);
    }
    expect(keyOf(fake.messages()[0])).toBe('sk-ant-api03-revoked-00000000000009');
  });
});
