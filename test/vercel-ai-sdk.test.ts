/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/anthropic` and `@ai-sdk/openai`) against a running
 * Switchboard in front of the fake OpenAI upstream, through each front door: Anthropic Messages
 * (`createAnthropic`), OpenAI Responses (`openai(model)`, the SDK's default) and chat completions
 * (`openai.chat(model)`). What an app built on the SDK sees.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, Output, stepCountIs, streamText, tool, type LanguageModel, type ModelMessage } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defaultReply, fakeUsage } from './fakes/openai-upstream.js';
import { useFakeOpenAI } from './helpers/lifecycle.js';
import { startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
// One Switchboard for the file: the fake is reset before each test, and nothing here changes config.
let sb: RunningSwitchboard;
beforeAll(async () => {
  sb = await startSwitchboard(upstreamConfig(fake.up.url, { models: { 'gpt-4o-mini': 'up/gpt-4o-mini', 'claude-sonnet-4-5': 'up/gpt-4o-mini' } }));
});
afterAll(() => sb.close());

/** Every URL the SDK's providers called, to show which front door served. */
const called: string[] = [];
const settings = {
  apiKey: 'sk-test-client',
  fetch: (url: string | URL | Request, init?: RequestInit) => (called.push(new URL(url instanceof Request ? url.url : url).pathname), fetch(url, init)),
};
const doors: Record<'messages' | 'responses' | 'chat', () => LanguageModel> = {
  messages: () => createAnthropic({ ...settings, baseURL: sb.baseURL })('claude-sonnet-4-5'),
  responses: () => createOpenAI({ ...settings, baseURL: sb.baseURL })('gpt-4o-mini'),
  chat: () => createOpenAI({ ...settings, baseURL: sb.baseURL }).chat('gpt-4o-mini'),
};
const paths = { messages: '/v1/messages', responses: '/v1/responses', chat: '/v1/chat/completions' };

const question = 'Hello, gateway! ünïcødé ✓';
const asked = { messages: [{ role: 'user', content: question }] };
const posts = () => fake.up.requests.filter((r) => r.method === 'POST');
/** The message of what the SDK reported: an Error, or the error object of the provider's stream. */
const errorText = (e: unknown) => String(e instanceof Error ? e.message : (e as { message?: string }).message);

describe.each(['messages', 'responses', 'chat'] as const)('through %s', (door) => {
  const model = () => doors[door]();

  it('generateText: the text, finishReason and the upstream usage', async () => {
    const r = await generateText({ model: model(), prompt: question, maxOutputTokens: 300, maxRetries: 0 });
    expect(r.text).toBe(defaultReply(asked));
    expect(r.finishReason).toBe('stop');
    const u = fakeUsage(asked);
    expect(r.usage).toMatchObject({ inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens, totalTokens: u.total_tokens });
    expect(r.response.modelId).toBe(door === 'messages' ? 'claude-sonnet-4-5' : 'gpt-4o-mini');
    expect(posts().at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', ...asked });
    expect(called.at(-1)).toBe(paths[door]);
  });

  it('streamText: textStream assembles the reply; finishReason and usage at the end', async () => {
    const r = streamText({ model: model(), prompt: question, maxOutputTokens: 300, maxRetries: 0 });
    let text = '';
    const deltas: string[] = [];
    for await (const d of r.textStream) {
      deltas.push(d);
      text += d;
    }
    expect(text).toBe(defaultReply(asked));
    expect(deltas.length).toBeGreaterThan(3); // streamed, not one lump
    expect(await r.finishReason).toBe('stop');
    const u = fakeUsage(asked);
    expect(await r.usage).toMatchObject({ inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens });
    expect(posts().at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('tool round trip (generateText, zod schema): the model calls the tool, execute runs, the second step answers', async () => {
    fake.up.script({ kind: 'tool-call', name: 'weather', args: '{"city":"Paris"}' }, { kind: 'ok', text: 'Sunny in Paris, 21 °C.' });
    const ran: unknown[] = [];
    const r = await generateText({
      model: model(),
      prompt: 'Weather in Paris?',
      maxOutputTokens: 300,
      maxRetries: 0,
      stopWhen: stepCountIs(2),
      tools: {
        weather: tool({
          description: 'The weather in a city',
          inputSchema: z.object({ city: z.string() }),
          execute: async (input) => (ran.push(input), { sky: 'sunny', celsius: 21 }),
        }),
      },
    });
    expect(ran).toEqual([{ city: 'Paris' }]);
    expect(r.steps.map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
    expect(r.steps[0].toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Paris' } }]);
    expect(r.text).toBe('Sunny in Paris, 21 °C.');
    const [first, second] = posts().map((p) => p.body!);
    expect(first.tools).toMatchObject([{ type: 'function', function: { name: 'weather', description: 'The weather in a city', parameters: { properties: { city: { type: 'string' } } } } }]);
    const callId = r.steps[0].toolCalls[0].toolCallId;
    expect((second.messages as unknown[]).slice(-2)).toEqual([
      { role: 'assistant', content: null, tool_calls: [{ id: callId, type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: callId, content: '{"sky":"sunny","celsius":21}' },
    ]);
  });

  it('tool round trip (streamText, jsonSchema): the streamed call runs and the second step streams the answer', async () => {
    fake.up.script({ kind: 'tool-call', name: 'lookup', args: '{"query":"switchboard"}' }, { kind: 'ok', text: 'Found it: a gateway.' });
    const r = streamText({
      model: model(),
      prompt: 'Look it up',
      maxOutputTokens: 300,
      maxRetries: 0,
      stopWhen: stepCountIs(2),
      tools: {
        lookup: tool({
          inputSchema: jsonSchema<{ query: string }>({ type: 'object', properties: { query: { type: 'string' } }, required: ['query'] }),
          execute: async ({ query }) => `${query} is an LLM gateway`,
        }),
      },
    });
    let text = '';
    for await (const d of r.textStream) text += d;
    expect(text).toBe('Found it: a gateway.');
    const steps = await r.steps;
    expect(steps).toHaveLength(2);
    expect(steps[0].toolResults).toMatchObject([{ toolName: 'lookup', input: { query: 'switchboard' }, output: 'switchboard is an LLM gateway' }]);
    expect(await r.finishReason).toBe('stop');
    expect((posts()[1].body!.messages as { role: string; content: unknown }[]).at(-1)).toMatchObject({ role: 'tool', content: 'switchboard is an LLM gateway' });
  });

  it('structured output (Output.object): the upstream is asked for the JSON schema and the object parses', async () => {
    fake.up.script({ kind: 'ok', text: '{"name":"Ada Lovelace","born":1815}' });
    const r = await generateText({
      model: model(),
      prompt: 'Who wrote the first program?',
      maxOutputTokens: 300,
      maxRetries: 0,
      output: Output.object({ schema: z.object({ name: z.string(), born: z.number() }) }),
    });
    expect(r.output).toEqual({ name: 'Ada Lovelace', born: 1815 });
    expect(posts().at(-1)!.body!.response_format).toMatchObject({
      type: 'json_schema',
      json_schema: { schema: { type: 'object', properties: { name: { type: 'string' }, born: { type: 'number' } }, required: ['name', 'born'] } },
    });
  });

  it('an upstream cut mid-stream: streamText reports the error and finishes with "error", not "stop"', async () => {
    fake.up.script({ kind: 'cut-after', chunks: 3 });
    const errors: unknown[] = [];
    const r = streamText({ model: model(), prompt: question, maxOutputTokens: 300, maxRetries: 0, onError: ({ error }) => void errors.push(error) });
    const kinds: string[] = [];
    let text = '';
    for await (const part of r.fullStream) {
      kinds.push(part.type);
      if (part.type === 'text-delta') text += part.text;
    }
    expect(kinds).toContain('error');
    expect(await r.finishReason).toBe('error');
    expect(text.length).toBeGreaterThan(0);
    expect(defaultReply(asked).startsWith(text) && text !== defaultReply(asked)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(errorText(errors[0])).toContain('upstream "up"');
    expect(errorText(errors[0])).not.toContain('sk-upstream-secret');
  });
});

describe.each(['messages', 'responses'] as const)('reasoning through %s', (door) => {
  const thinking = { anthropic: { thinking: { type: 'enabled', budgetTokens: 2048 } } } as const;

  it('reasoning_content is the SDK’s reasoningText, streamed and not', async () => {
    const providerOptions = door === 'messages' ? thinking : undefined;
    fake.up.script({ kind: 'reasoning', reasoning: 'The user greets me.', text: 'Hi!' });
    const r = await generateText({ model: doors[door](), prompt: question, maxOutputTokens: 3000, maxRetries: 0, providerOptions });
    expect(r.reasoningText).toBe('The user greets me.');
    expect(r.text).toBe('Hi!');
    if (door === 'messages') expect(posts().at(-1)!.body).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 3000 + 2048 });

    fake.up.script({ kind: 'reasoning', reasoning: 'Streaming thoughts here.', text: 'Hello there.' });
    const s = streamText({ model: doors[door](), prompt: question, maxOutputTokens: 3000, maxRetries: 0, providerOptions });
    const thoughts: string[] = [];
    for await (const part of s.fullStream) if (part.type === 'reasoning-delta') thoughts.push(part.text);
    expect(thoughts.join('')).toBe('Streaming thoughts here.');
    expect(await s.reasoningText).toBe('Streaming thoughts here.');
    expect(await s.text).toBe('Hello there.');
  });
});

describe('a conversation continued through responses', () => {
  it('regression: the second turn sends the first answer back as item_reference (store on), and it is resolved', async () => {
    const openai = createOpenAI({ ...settings, baseURL: sb.baseURL });
    const messages: ModelMessage[] = [{ role: 'user', content: 'Hello' }];
    const first = await generateText({ model: openai('gpt-4o-mini'), messages, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'And again?' });
    const second = await generateText({ model: openai('gpt-4o-mini'), messages, maxRetries: 0 });
    expect(second.text).toBe(defaultReply({ messages: [{ role: 'user', content: 'And again?' }] }));
    expect(posts().at(-1)!.body!.messages).toEqual([
      { role: 'user', content: 'Hello' },
      { role: 'assistant', content: first.text },
      { role: 'user', content: 'And again?' },
    ]);
  });

  it('with store: false the SDK sends the earlier answer itself', async () => {
    const openai = createOpenAI({ ...settings, baseURL: sb.baseURL });
    const providerOptions = { openai: { store: false } };
    const messages: ModelMessage[] = [{ role: 'user', content: 'Hello' }];
    const first = await generateText({ model: openai('gpt-4o-mini'), messages, providerOptions, maxRetries: 0 });
    messages.push(...first.response.messages, { role: 'user', content: 'And again?' });
    await generateText({ model: openai('gpt-4o-mini'), messages, providerOptions, maxRetries: 0 });
    expect((posts().at(-1)!.body!.messages as unknown[])[1]).toEqual({ role: 'assistant', content: first.text });
  });
});
