/**
 * The official `openai` client against a running Switchboard in front of a fake upstream: what a
 * drop-in user sees.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultReply, fakeUsage, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
  sb = await startSwitchboard(upstreamConfig(upstream.url));
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

const ask = [{ role: 'user' as const, content: 'Hello, gateway! ünïcødé ✓' }];

describe('chat completions', () => {
  it('answers non-streaming with the upstream completion', async () => {
    const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask });
    expect(r.object).toBe('chat.completion');
    expect(r.choices[0].message.content).toBe(defaultReply({ messages: ask }));
    expect(r.choices[0].finish_reason).toBe('stop');
    expect(r.usage).toEqual(fakeUsage({ messages: ask })); // the upstream's counts, as it sent them
    // the upstream saw the upstream model id and Switchboard's credential, not the client's key
    const seen = upstream.requests.at(-1)!;
    expect(seen.body?.model).toBe('gpt-4o-mini');
    expect(seen.headers.authorization).toBe('Bearer sk-upstream-secret-0123456789');
  });

  it('streams: role first, content reassembles exactly, finish_reason, usage on request', async () => {
    const stream = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: ask,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe(defaultReply({ messages: ask }));
    const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
    expect(finish.map((c) => c.choices[0].finish_reason)).toEqual(['stop']);
    expect(chunks.at(-1)!.usage).toEqual(fakeUsage({ messages: ask }));
  });

  it('addresses a provider directly as provider/model', async () => {
    const r = await client.chat.completions.create({ model: 'up/gpt-4o', messages: ask });
    expect(upstream.requests.at(-1)!.body?.model).toBe('gpt-4o');
    expect(r.choices[0].message.content).toBe(defaultReply({ messages: ask }));
  });

  it('routes a bare model id to the provider that lists it', async () => {
    await client.chat.completions.create({ model: 'gpt-4o', messages: ask });
    expect(upstream.requests.at(-1)!.body?.model).toBe('gpt-4o');
  });

  it('passes tools, tool_choice, response_format, stop and unknown fields through', async () => {
    await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: ask,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
      tool_choice: 'auto',
      response_format: { type: 'json_object' },
      stop: ['\n\n'],
      temperature: 0.3,
      max_completion_tokens: 50,
      user: 'u-1',
      // @ts-expect-error: a field the SDK does not know, for upstreams that do
      top_k: 40,
    });
    const body = upstream.requests.at(-1)!.body!;
    expect(body.tools).toHaveLength(1);
    expect(body.tool_choice).toBe('auto');
    expect(body.response_format).toEqual({ type: 'json_object' });
    expect(body.stop).toEqual(['\n\n']);
    expect(body.temperature).toBe(0.3);
    expect(body.max_completion_tokens).toBe(50);
    expect(body.user).toBe('u-1');
    expect(body.top_k).toBe(40);
  });

  it('passes tool-call deltas through so the SDK can assemble the call', async () => {
    const args = JSON.stringify({ city: 'Kyiv', unit: 'celsius' });
    upstream.script({ kind: 'tool-call', name: 'get_weather', args });
    const stream = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: ask,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: {} } } }],
    });
    const final = await stream.finalChatCompletion();
    const call = final.choices[0].message.tool_calls![0];
    expect(call.type === 'function' && call.function.name).toBe('get_weather');
    expect(call.type === 'function' && call.function.arguments).toBe(args);
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('drops an empty-choices prelude so naive clients do not break', async () => {
    upstream.script({ kind: 'prelude', text: 'clean stream' });
    const res = await fetch(`${sb.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: ask, stream: true }),
    });
    const events = (await res.text()).split('\n\n').filter(Boolean);
    const payloads = events.map((e) => e.replace(/^data: /, '')).filter((d) => d !== '[DONE]');
    for (const p of payloads) expect(JSON.parse(p).choices.length).toBe(1);
    expect(events.at(-1)).toBe('data: [DONE]');
  });
});

describe('legacy completions', () => {
  it('turns the prompt into one user message and answers text_completion', async () => {
    const r = await client.completions.create({ model: 'gpt-4o-mini', prompt: 'Once upon a time' });
    expect(upstream.requests.at(-1)!.body?.messages).toEqual([{ role: 'user', content: 'Once upon a time' }]);
    expect(r.object).toBe('text_completion');
    expect(r.id).toMatch(/^cmpl-/);
    expect(r.choices[0].text).toBe(defaultReply({ messages: [{ role: 'user', content: 'Once upon a time' }] }));
    expect(r.choices[0].finish_reason).toBe('stop');
  });

  it('streams text_completion chunks', async () => {
    const stream = await client.completions.create({ model: 'gpt-4o-mini', prompt: ['Once upon a time'], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.every((c) => c.object === 'text_completion')).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(defaultReply({ messages: [{ role: 'user', content: 'Once upon a time' }] }));
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
  });
});

describe('models', () => {
  it('lists aliases and provider/model ids', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    expect(ids).toContain('gpt-4o-mini');
    expect(ids).toContain('up/gpt-4o-mini');
    expect(ids).toContain('up/text-embedding-3-small');
  });

  it('retrieves ids that contain slashes', async () => {
    const m = await client.models.retrieve('up/gpt-4o-mini');
    expect(m.id).toBe('up/gpt-4o-mini');
    const raw = await fetch(`${sb.baseURL}/models/up/gpt-4o-mini`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(((await raw.json()) as { id: string }).id).toBe('up/gpt-4o-mini');
  });

  it('an id with a percent sign is an ordinary unknown id, not a crash', async () => {
    const res = await fetch(`${sb.baseURL}/models/a%25b`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(res.status).toBe(404);
  });

  it('404s an unknown model id with model_not_found', async () => {
    const err = await client.models.retrieve('nope/never').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe('model_not_found');
  });
});

describe('embeddings', () => {
  it('returns float vectors with the requested dimensions', async () => {
    const r = await client.embeddings.create({ model: 'up/text-embedding-3-small', input: ['a', 'bb'], encoding_format: 'float', dimensions: 4 });
    expect(r.data).toHaveLength(2);
    expect(r.data[0].embedding).toHaveLength(4);
    expect(upstream.requests.at(-1)!.body?.dimensions).toBe(4);
  });

  it('passes base64 through (the SDK default) and the SDK decodes it', async () => {
    const r = await client.embeddings.create({ model: 'up/text-embedding-3-small', input: 'hello', dimensions: 8 });
    expect(upstream.requests.at(-1)!.body?.encoding_format).toBe('base64');
    expect(r.data[0].embedding).toHaveLength(8);
    expect(r.data[0].embedding.every((x) => typeof x === 'number')).toBe(true);
  });
});

describe('upstream quirks', () => {
  it('an upstream that answers a stream request with plain JSON is replayed as a stream', async () => {
    const completion = { id: 'chatcmpl-j', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'json instead' }, finish_reason: 'stop' }] };
    upstream.script({ kind: 'raw', contentType: 'application/json', pieces: [JSON.stringify(completion)] });
    const s = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: ask, stream: true });
    let text = '';
    for await (const c of s) text += c.choices[0]?.delta.content ?? '';
    expect(text).toBe('json instead');
  });
});
