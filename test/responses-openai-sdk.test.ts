/**
 * The official `openai` client's `responses.create` against a running Switchboard, in front of the
 * fake OpenAI-compatible upstream and the mock provider: what a Codex CLI or Agents SDK user sees.
 */
import net from 'node:net';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { defaultReply, fakeUsage } from './fakes/openai-upstream.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function start(): Promise<{ sb: RunningSwitchboard; client: OpenAI }> {
  const config = upstreamConfig(fake.up.url);
  (config.providers as unknown[]).push({ id: 'mock', plugin: 'mock', ...ONE_ATTEMPT });
  const sb = await sbs.start(config);
  return { sb, client: new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 }) };
}

/** An SSE body of chat chunks, as an upstream streams it. */
function sse(deltas: Record<string, unknown>[], finish: string): string[] {
  const head = { id: 'chatcmpl-r', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };
  const frames: unknown[] = [{ role: 'assistant', content: '' }, ...deltas].map((delta) => ({ ...head, choices: [{ index: 0, delta, finish_reason: null }] }));
  frames.push({ ...head, choices: [{ index: 0, delta: {}, finish_reason: finish }] });
  return [...frames.map((f) => `data: ${JSON.stringify(f)}\n\n`), 'data: [DONE]\n\n'];
}

describe('POST /v1/responses with the openai SDK', () => {
  it('answers non-streaming: a response object with the text, the requested model and usage', async () => {
    const { client } = await start();
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hello there', instructions: 'Be kind.', metadata: { run: '7' } });
    const asked = { messages: [{ role: 'system', content: 'Be kind.' }, { role: 'user', content: 'Hello there' }] };
    expect(r.id).toMatch(/^resp_/);
    expect(r.object).toBe('response');
    expect(r.status).toBe('completed');
    expect(r.model).toBe('gpt-4o-mini');
    expect(r.metadata).toEqual({ run: '7' });
    expect(r.output_text).toBe(defaultReply(asked));
    const usage = fakeUsage(asked);
    expect(r.usage).toMatchObject({ input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens, total_tokens: usage.total_tokens });
    expect(r.error).toBeNull();
    expect(fake.up.requests.at(-1)!.body).toMatchObject({ model: 'gpt-4o-mini', messages: asked.messages });
  });

  it('streams: typed events with sequence numbers in order, text deltas, and the whole response at the end', async () => {
    const { client } = await start();
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'stream me', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    const types = events.map((e) => e.type);
    expect(types.slice(0, 4)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(types.slice(-4)).toEqual(['response.output_text.done', 'response.content_part.done', 'response.output_item.done', 'response.completed']);
    const text = events.flatMap((e) => (e.type === 'response.output_text.delta' ? [e.delta] : [])).join('');
    expect(text).toBe(defaultReply({ messages: [{ role: 'user', content: 'stream me' }] }));
    const last = events.at(-1)!;
    if (last.type !== 'response.completed') throw new Error(last.type);
    expect(last.response.output).toMatchObject([{ type: 'message', content: [{ type: 'output_text', text }] }]);
    expect(last.response.usage?.total_tokens).toBeGreaterThan(0);
    // usage is always asked of the upstream: response.completed carries it
    expect(fake.up.requests.at(-1)!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('the SDK helper responses.stream() assembles the final response', async () => {
    const { client } = await start();
    const stream = client.responses.stream({ model: 'gpt-4o-mini', input: 'helper' });
    const final = await stream.finalResponse();
    expect(final.output_text).toBe(defaultReply({ messages: [{ role: 'user', content: 'helper' }] }));
  });

  it('round-trips a function call: function_call out, function_call_output back in, then the answer', async () => {
    const { client } = await start();
    const tools = [{ type: 'function' as const, name: 'get_weather', description: 'weather', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];
    const first = await client.responses.create({ model: 'mock/echo', input: 'Paris', tools, tool_choice: { type: 'function', name: 'get_weather' } });
    const call = first.output.find((o) => o.type === 'function_call');
    if (call?.type !== 'function_call') throw new Error('no function call');
    expect(call.name).toBe('get_weather');
    expect(call.call_id).toBeTruthy();
    const second = await client.responses.create({
      model: 'gpt-4o-mini',
      tools,
      input: [
        { role: 'user', content: 'Paris' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: 'sunny, 21 C' },
      ],
    });
    expect(second.status).toBe('completed');
    const sent = fake.up.requests.at(-1)!.body as { messages: unknown[]; tools: unknown[] };
    expect(sent.messages).toEqual([
      { role: 'user', content: 'Paris' },
      { role: 'assistant', content: null, tool_calls: [{ id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: call.arguments } }] },
      { role: 'tool', tool_call_id: call.call_id, content: 'sunny, 21 C' },
    ]);
    expect(sent.tools).toEqual([{ type: 'function', function: { name: 'get_weather', description: 'weather', parameters: tools[0].parameters, strict: false } }]);
  });

  it('streams a function call as function_call_arguments events', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'tool-call', name: 'lookup', args: '{"query":"switchboard"}' });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'look it up', stream: true, tools: [{ type: 'function', name: 'lookup', parameters: {}, strict: null }] });
    const events = [];
    for await (const e of stream) events.push(e);
    const deltas = events.flatMap((e) => (e.type === 'response.function_call_arguments.delta' ? [e.delta] : []));
    expect(deltas.join('')).toBe('{"query":"switchboard"}');
    const done = events.find((e) => e.type === 'response.function_call_arguments.done');
    expect(done).toMatchObject({ name: 'lookup', arguments: '{"query":"switchboard"}' });
    const last = events.at(-1)!;
    expect(last.type).toBe('response.completed');
    if (last.type === 'response.completed') expect(last.response.output).toMatchObject([{ type: 'function_call', call_id: 'call_fake1', name: 'lookup', arguments: '{"query":"switchboard"}', status: 'completed' }]);
  });

  it('text.format json_schema reaches the upstream as response_format', async () => {
    const { client } = await start();
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
    await client.responses.create({ model: 'gpt-4o-mini', input: 'json please', text: { format: { type: 'json_schema', name: 'reply', schema, strict: true } }, reasoning: { effort: 'low' }, max_output_tokens: 64 });
    expect(fake.up.requests.at(-1)!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'reply', schema, strict: true } },
      reasoning_effort: 'low',
      max_tokens: 64,
    });
  });

  it('renders reasoning_content as a reasoning item with summary text, streamed and not', async () => {
    const { client } = await start();
    const body = { id: 'chatcmpl-r', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: '42', reasoning_content: 'Six times seven.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 9, total_tokens: 14 } };
    fake.up.script({ kind: 'raw', contentType: 'application/json', pieces: [JSON.stringify(body)] });
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'think' });
    expect(r.output).toMatchObject([{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'Six times seven.' }] }, { type: 'message' }]);
    expect(r.output_text).toBe('42');

    fake.up.script({ kind: 'raw', contentType: 'text/event-stream', pieces: sse([{ reasoning_content: 'Six times ' }, { reasoning_content: 'seven.' }, { content: '42' }], 'stop') });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'think', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const summary = events.flatMap((e) => (e.type === 'response.reasoning_summary_text.delta' ? [e.delta] : [])).join('');
    expect(summary).toBe('Six times seven.');
    expect(events.map((e) => e.type)).toContain('response.reasoning_summary_part.added');
    const last = events.at(-1)!;
    if (last.type !== 'response.completed') throw new Error(last.type);
    expect(last.response.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
  });

  it('a stream cut after the first byte ends with response.failed, never response.completed', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'cut-after', chunks: 3 });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'cut me off', stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const types = events.map((e) => e.type);
    expect(types).not.toContain('response.completed');
    expect(types.slice(-2)).toEqual(['error', 'response.failed']);
    const failed = events.at(-1)!;
    if (failed.type !== 'response.failed') throw new Error(failed.type);
    expect(failed.response.status).toBe('failed');
    expect(failed.response.error?.code).toBeTruthy();
    expect(failed.response.error?.message).toBeTruthy();
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it('a stream cut before the first byte is an HTTP error the SDK throws', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    await expect(client.responses.create({ model: 'gpt-4o-mini', input: 'x', stream: true })).rejects.toMatchObject({ status: 502 });
  });

  it('bad input is a 400 naming the field, in the OpenAI envelope', async () => {
    const { client } = await start();
    const cases: [Record<string, unknown>, string][] = [
      [{ input: 'x' }, 'model'],
      [{ model: 'gpt-4o-mini', input: 5 }, 'input'],
      [{ model: 'gpt-4o-mini', input: 'x', temperature: 9 }, 'temperature'],
      [{ model: 'gpt-4o-mini', input: 'x', text: { format: { type: 'json_schema', schema: {} } } }, 'text.format.name'],
      [{ model: 'gpt-4o-mini', input: [{ role: 'robot', content: 'x' }] }, 'input[0].role'],
      [{ model: 'gpt-4o-mini', input: 'x', tools: [{ type: 'web_search' }] }, 'tools[0].type'],
      [{ model: 'gpt-4o-mini', input: 'x', tool_choice: 'sometimes' }, 'tool_choice'],
    ];
    for (const [body, param] of cases) {
      const err = await client.responses.create(body as never).catch((e: unknown) => e);
      expect(err, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param, JSON.stringify(body)).toBe(param);
    }
    expect(fake.up.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('answers a WebSocket upgrade with 426 so Codex falls back to HTTP', async () => {
    const { sb } = await start();
    const port = Number(new URL(sb.origin).port);
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.write('GET /v1/responses HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-test-client\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      let got = '';
      s.on('data', (d) => {
        got += d;
        if (got.includes('\r\n\r\n') && got.includes('}}')) {
          s.destroy();
          resolve(got);
        }
      });
      s.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 426 /);
    expect(answer).toContain('"code":"upgrade_required"');
    const plain = await fetch(`${sb.baseURL}/responses`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(plain.status).toBe(404);
  });
});
