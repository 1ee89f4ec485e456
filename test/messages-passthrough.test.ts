/**
 * `/v1/messages` routed to the `anthropic` provider: the client's body reaches Anthropic as it was
 * sent (only `model` set to the upstream id) and Anthropic's answer reaches the client as it was
 * sent, through the official SDK, Switchboard and the fake Anthropic API over real sockets.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicInputTokens, FAKE_SIGNATURE, startFakeAnthropic, type FakeAnthropic } from './fakes/anthropic-upstream.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, type RunningSwitchboard } from './helpers/switchboard.js';

const KEYS = ['sk-ant-api03-passthrough-000000000001', 'sk-ant-api03-passthrough-000000000002'];
const UPSTREAM_MODEL = 'claude-sonnet-4-5-20250929';

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await startFakeAnthropic({ keys: KEYS });
});
afterAll(() => fake?.close());
beforeEach(() => fake.reset());
const openai = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function start(): Promise<{ sb: RunningSwitchboard; client: Anthropic }> {
  const sb = await sbs.start({
    providers: [
      { id: 'claude', plugin: 'anthropic', baseUrl: fake.url, credentials: KEYS, betas: ['configured-beta-2025-01-01'], timeouts: { firstByteMs: 2000, idleMs: 2000, totalMs: 10000 }, ...ONE_ATTEMPT },
      { id: 'up', plugin: 'openai-compatible', baseUrl: openai.up.url, credentials: ['sk-upstream-secret-0123456789'], ...ONE_ATTEMPT },
    ],
    models: { 'claude-sonnet-4-5': `claude/${UPSTREAM_MODEL}`, 'claude-exact': `claude/${UPSTREAM_MODEL}`, 'gpt-via-messages': 'up/gpt-4o-mini' },
  });
  return { sb, client: new Anthropic({ baseURL: sb.origin, apiKey: 'sk-test-client', maxRetries: 0 }) };
}

/**
 * A Claude Code-like turn: cache_control on the system prompt and a block, a thinking block with
 * its signature before a tool call, the tool's result, a search_result block, and fields this
 * version of Switchboard has no translation for (`context_management`, `service_tier`). The
 * spacing and the `1.0` are there to show the text, not a re-serialisation, is what goes on.
 */
function claudeCodeBody(model: string, stream: boolean): string {
  return `{"model": "${model}", "max_tokens": 2048, "stream": ${stream},
  "system": [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}],
  "thinking": {"type": "enabled", "budget_tokens": 1024},
  "context_management": {"edits": [{"type": "clear_tool_uses_20250919", "trigger": {"type": "input_tokens", "value": 30000}}]},
  "service_tier": "auto",
  "tools": [{"name": "read_file", "description": "Read a file", "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}, "cache_control": {"type": "ephemeral"}}],
  "messages": [
    {"role": "user", "content": "What is in README.md? \\u00e9"},
    {"role": "assistant", "content": [
      {"type": "thinking", "thinking": "I should read it.", "signature": "${FAKE_SIGNATURE}"},
      {"type": "tool_use", "id": "toolu_01", "name": "read_file", "input": {"path": "README.md", "weight": 1.0}}
    ]},
    {"role": "user", "content": [
      {"type": "tool_result", "tool_use_id": "toolu_01", "content": "# Switchboard", "cache_control": {"type": "ephemeral"}},
      {"type": "search_result", "source": "https://example.com/doc", "title": "Doc", "content": [{"type": "text", "text": "A found page."}]},
      {"type": "text", "text": "Summarise it."}
    ]}
  ]
}`;
}

const post = (sb: RunningSwitchboard, body: string, headers: Record<string, string> = {}) =>
  fetch(`${sb.origin}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test-client', 'anthropic-version': '2023-06-01', ...headers }, body });

describe('/v1/messages to an Anthropic upstream: no translation either way', () => {
  it('sends the client body byte for byte, only the model renamed to the upstream id', async () => {
    const { sb } = await start();
    const body = claudeCodeBody('claude-sonnet-4-5', false);
    const res = await post(sb, body);
    expect(res.status).toBe(200);
    const seen = fake.messages()[0];
    expect(seen.raw).toBe(body.replace('"claude-sonnet-4-5"', `"${UPSTREAM_MODEL}"`));
    // the thinking signature, cache_control and the fields unknown to Switchboard all arrived
    expect(seen.raw).toContain(`"signature": "${FAKE_SIGNATURE}"`);
    expect(seen.raw).toContain('"weight": 1.0');
  });

  it('sends the text untouched when the client already names the upstream model', async () => {
    const { sb } = await start();
    const body = claudeCodeBody(`claude/${UPSTREAM_MODEL}`, false);
    await post(sb, body);
    expect(fake.messages()[0].raw).toBe(body.replace(`"claude/${UPSTREAM_MODEL}"`, `"${UPSTREAM_MODEL}"`));
  });

  it("answers non-streaming with Anthropic's own body, fields Switchboard does not know included", async () => {
    const { sb } = await start();
    const res = await post(sb, claudeCodeBody('claude-sonnet-4-5', false));
    const text = await res.text();
    expect(text).toBe(fake.messages()[0].sent);
    const m = JSON.parse(text);
    expect(m.content[0]).toEqual({ type: 'thinking', thinking: 'Let me think about that.', signature: FAKE_SIGNATURE });
    expect(m.context_management).toEqual({ applied_edits: [] });
  });

  it("streams Anthropic's own events, signature_delta included, and the SDK assembles the thinking block with its signature", async () => {
    const { sb, client } = await start();
    const raw = await post(sb, claudeCodeBody('claude-sonnet-4-5', true));
    expect(raw.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(await raw.text()).toBe(fake.messages()[0].sent);

    const stream = client.messages.stream({
      model: 'claude-sonnet-4-5',
      max_tokens: 2048,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    const final = await stream.finalMessage();
    expect(final.content[0]).toEqual({ type: 'thinking', thinking: 'Let me think about that.', signature: FAKE_SIGNATURE });
    expect(final.model).toBe(UPSTREAM_MODEL);
    expect(final.usage.output_tokens).toBeGreaterThan(0);
  });

  it('forwards the client anthropic-beta flags after the configured ones', async () => {
    const { sb } = await start();
    await post(sb, claudeCodeBody('claude-sonnet-4-5', false), { 'anthropic-beta': 'context-management-2025-06-27,interleaved-thinking-2025-05-14' });
    expect(fake.messages()[0].headers['anthropic-beta']).toBe('configured-beta-2025-01-01,context-management-2025-06-27,interleaved-thinking-2025-05-14');
  });

  it('takes a document block to Anthropic, and refuses it with a 400 naming the block for an OpenAI-format target', async () => {
    const { sb, client } = await start();
    const doc = { type: 'document' as const, source: { type: 'text' as const, media_type: 'text/plain' as const, data: 'The sky is green.' }, title: 'facts' };
    const messages = [{ role: 'user' as const, content: [doc, { type: 'text' as const, text: 'What colour is the sky?' }] }];
    const ok = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages });
    expect(ok.type).toBe('message');
    expect(fake.messages()[0].body!.messages).toEqual(messages);

    const refused = await client.messages.create({ model: 'gpt-via-messages', max_tokens: 100, messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
    const body = (refused as InstanceType<typeof Anthropic.BadRequestError>).error as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('invalid_request_error');
    expect(body.error.message).toContain('messages[0].content[0]');
    expect(openai.up.requests.filter((r) => r.method === 'POST')).toHaveLength(0); // refused before the upstream was called
  });

  it('a cut upstream stream ends the passed-through stream with an error event, and the SDK stream throws', async () => {
    const { sb, client } = await start();
    fake.script({ kind: 'cut-after', events: 5 });
    const text = await (await post(sb, claudeCodeBody('claude-sonnet-4-5', true))).text();
    expect(text.startsWith(fake.messages()[0].sent!)).toBe(true); // what arrived went on as it was
    expect(text).not.toContain('event: message_stop');
    const tail = text.slice(fake.messages()[0].sent!.length);
    expect(tail).toMatch(/^event: error\ndata: .*\n\n$/);
    expect(JSON.parse(tail.slice('event: error\ndata: '.length))).toMatchObject({ type: 'error', error: { type: 'api_error' } });
    fake.script({ kind: 'cut-after', events: 5 });
    const stream = client.messages.stream({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hello there, how are you today?' }] });
    await expect(stream.finalMessage()).rejects.toThrow();
  });

  it('a key refused before the first byte fails over to the next key, invisibly', async () => {
    const { sb } = await start();
    fake.whenKey([KEYS[0]], { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
    const body = claudeCodeBody('claude-sonnet-4-5', true);
    const res = await post(sb, body);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(fake.keysSeen()).toEqual([KEYS[0], KEYS[1]]);
    expect(text).toBe(fake.messages()[1].sent);
  });
});

describe('the Vercel AI SDK through /v1/messages to Anthropic', () => {
  it('a signed thinking block survives the round trip: out in the answer, back in the next turn byte for byte', async () => {
    const { sb } = await start();
    const model = createAnthropic({ baseURL: sb.baseURL, apiKey: 'sk-test-client' })('claude-sonnet-4-5');
    const thinking = { anthropic: { thinking: { type: 'enabled', budgetTokens: 1024 } } };
    const first = await streamText({ model, maxOutputTokens: 2048, providerOptions: thinking, prompt: 'Hello there' });
    expect(await first.reasoningText).toBe('Let me think about that.');
    const messages = [{ role: 'user' as const, content: 'Hello there' }, ...(await first.response).messages, { role: 'user' as const, content: 'And again?' }];
    await generateText({ model, maxOutputTokens: 2048, providerOptions: thinking, messages });
    const again = fake.messages().at(-1)!;
    expect((again.body!.messages as { content: unknown[] }[])[1].content[0]).toEqual({ type: 'thinking', thinking: 'Let me think about that.', signature: FAKE_SIGNATURE });
  });
});

describe('count_tokens', () => {
  it("is Anthropic's own count for an Anthropic target (the body passed through) and an estimate for others, the header says which", async () => {
    const { client } = await start();
    const messages = [{ role: 'user' as const, content: [{ type: 'document' as const, source: { type: 'text' as const, media_type: 'text/plain' as const, data: 'A long document.' } }, { type: 'text' as const, text: 'Hello there' }] }];
    const counted = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages, system: 'Be brief.' }).withResponse();
    expect(counted.response.headers.get('x-switchboard-token-count')).toBe('upstream');
    const seen = fake.requests.find((r) => r.path === '/v1/messages/count_tokens')!;
    expect(seen.body).toEqual({ model: UPSTREAM_MODEL, messages, system: 'Be brief.' });
    expect(counted.data.input_tokens).toBe(anthropicInputTokens(seen.body));

    const estimated = await client.messages.countTokens({ model: 'gpt-via-messages', messages: [{ role: 'user', content: 'Hello there' }] }).withResponse();
    expect(estimated.response.headers.get('x-switchboard-token-count')).toBe('estimate');
    expect(estimated.data.input_tokens).toBeGreaterThan(0);
    // what the translation refuses is refused for a target that only has the estimate
    const refused = await client.messages.countTokens({ model: 'gpt-via-messages', messages }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Anthropic.BadRequestError);
  });
});

describe('nativeBody: only the top-level model is renamed', () => {
  const native = (body: string) => ({ dialect: 'anthropic-messages' as const, body, headers: {} });
  it('skips a "model" key inside messages, tools or strings, before or after the real one', async () => {
    const { nativeBody } = await import('../core/contract/native.js');
    const body = '{"messages":[{"role":"user","content":"say \\"model\\": \\"x\\""}],"tools":[{"name":"t","input_schema":{"model":"nested"}}], "model" : "claude-x" ,"metadata":{"model":"m"}}';
    expect(nativeBody(native(body), 'claude-upstream')).toBe(body.replace('"claude-x"', '"claude-upstream"'));
  });
  it('leaves a body without a string model untouched', async () => {
    const { nativeBody } = await import('../core/contract/native.js');
    for (const body of ['{"messages":[]}', '{"model":42}', '{"a":{"model":"inner"}}']) expect(nativeBody(native(body), 'm')).toBe(body);
  });
});
