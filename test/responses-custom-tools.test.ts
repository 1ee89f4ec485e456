/**
 * Codex's freeform `custom` tools (`apply_patch` with a Lark grammar) on `/v1/responses`, with
 * the openai SDK against the fake OpenAI-compatible upstream: sent upstream as a function taking
 * one string, answered as a `custom_tool_call` whose input is that string, streamed as
 * `response.custom_tool_call_input.*` events, and replayed from input items and stored responses.
 */
import OpenAI from 'openai';
import type { ResponseStreamEvent } from 'openai/resources/responses/responses';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig } from './helpers/switchboard.js';

const fake = useFakeOpenAI();
const sbs = useSwitchboards();

async function start(): Promise<{ client: OpenAI; origin: string }> {
  const sb = await sbs.start(upstreamConfig(fake.up.url));
  return { client: new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 }), origin: sb.origin };
}

const GRAMMAR = 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\nend_patch: "*** End Patch" LF?';
const applyPatch = { type: 'custom' as const, name: 'apply_patch', description: 'Use the `apply_patch` tool to edit files.', format: { type: 'grammar' as const, syntax: 'lark' as const, definition: GRAMMAR } };
/** A patch with what JSON must escape: newlines, quotes, a backslash, a tab, accents and an emoji. */
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+Hello "world" \\ café\t🎉\n*** End Patch\n';
const called = (input: string) => ({ kind: 'tool-call' as const, name: 'apply_patch', args: JSON.stringify({ input }) });
/** The same arguments with every non-ASCII character as a `\uXXXX` escape (the emoji as a surrogate pair), as some upstreams write them. */
const asciiArgs = (input: string) => JSON.stringify({ input }).replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The last chat request the upstream received. */
const upstreamBody = () => fake.up.requests.at(-1)!.body as Record<string, unknown> & { messages: Record<string, unknown>[] };

describe('custom tools on /v1/responses', () => {
  it('go upstream as a function taking one string, its grammar in the description', async () => {
    const { client } = await start();
    await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch, { type: 'custom', name: 'note', format: { type: 'text' } }, { type: 'custom', name: 'bare' }], tool_choice: { type: 'custom', name: 'apply_patch' } });
    const [patch, note, bare] = upstreamBody().tools as { type: string; function: { name: string; description?: string; parameters: Record<string, unknown> } }[];
    expect(patch.type).toBe('function');
    expect(patch.function.name).toBe('apply_patch');
    expect(patch.function.description).toBe(`Use the \`apply_patch\` tool to edit files.\n\nThe input must match this Lark grammar:\n${GRAMMAR}`);
    expect(patch.function.parameters).toMatchObject({ type: 'object', properties: { input: { type: 'string' } }, required: ['input'] });
    expect(note.function).toMatchObject({ name: 'note', parameters: patch.function.parameters });
    expect(note.function.description).toBeUndefined();
    expect(bare.function.name).toBe('bare');
    expect(upstreamBody().tool_choice).toEqual({ type: 'function', function: { name: 'apply_patch' } });
  });

  it('a call of one is a custom_tool_call carrying the input string (non-streaming)', async () => {
    const { client } = await start();
    fake.up.script(called(PATCH));
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch] });
    expect(r.status).toBe('completed');
    expect(r.output).toEqual([{ id: expect.stringMatching(/^ctc_/), type: 'custom_tool_call', status: 'completed', call_id: 'call_fake1', name: 'apply_patch', input: PATCH }]);
    expect(r.tools).toEqual([applyPatch]);
  });

  it('a function tool beside it stays a function_call', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'tool-call', name: 'shell', args: '{"command":["ls"]}' });
    const r = await client.responses.create({ model: 'gpt-4o-mini', input: 'list', tools: [applyPatch, { type: 'function', name: 'shell', parameters: { type: 'object' }, strict: false }] });
    expect(r.output).toMatchObject([{ type: 'function_call', name: 'shell', arguments: '{"command":["ls"]}' }]);
  });

  for (const [piece, ascii] of [[7, false], [1, false], [3, true]] as const) {
    it(`streams the input decoded as it comes, in order (argument fragments of ${piece}${ascii ? ', \\u escapes' : ''})`, async () => {
      const { client } = await start();
      fake.up.script({ ...called(PATCH), piece, ...(ascii && { args: asciiArgs(PATCH) }) });
      const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch], stream: true });
      const events: ResponseStreamEvent[] = [];
      for await (const e of stream) events.push(e);
      expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
      const types = [...new Set(events.map((e) => e.type))];
      expect(types).toEqual(['response.created', 'response.in_progress', 'response.output_item.added', 'response.custom_tool_call_input.delta', 'response.custom_tool_call_input.done', 'response.output_item.done', 'response.completed']);
      const added = events.find((e) => e.type === 'response.output_item.added');
      expect(added).toMatchObject({ output_index: 0, item: { type: 'custom_tool_call', status: 'in_progress', call_id: 'call_fake1', name: 'apply_patch', input: '' } });
      const deltas = events.flatMap((e) => (e.type === 'response.custom_tool_call_input.delta' ? [e.delta] : []));
      expect(deltas.length).toBeGreaterThan(5); // as it comes, not once at the end
      expect(deltas.join('')).toBe(PATCH);
      for (const d of deltas) expect(d.includes('\\"') || d.startsWith('{')).toBe(false); // decoded, never JSON
      const itemId = (added as { item: { id: string } }).item.id;
      expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')).toMatchObject({ item_id: itemId, output_index: 0, input: PATCH });
      const item = { id: itemId, type: 'custom_tool_call', status: 'completed', call_id: 'call_fake1', name: 'apply_patch', input: PATCH };
      expect(events.find((e) => e.type === 'response.output_item.done')).toMatchObject({ output_index: 0, item });
      const last = events.at(-1)!;
      if (last.type !== 'response.completed') throw new Error(last.type);
      expect(last.response.output).toEqual([item]);
    });
  }

  it('the SDK helper responses.stream() assembles the call', async () => {
    const { client } = await start();
    fake.up.script(called(PATCH));
    const final = await client.responses.stream({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch] }).finalResponse();
    expect(final.output).toMatchObject([{ type: 'custom_tool_call', name: 'apply_patch', input: PATCH }]);
  });

  it('arguments that are not {"input": ...} are the input whole, given in one delta at the end', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'tool-call', name: 'apply_patch', args: PATCH });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch], stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.flatMap((e) => (e.type === 'response.custom_tool_call_input.delta' ? [e.delta] : []))).toEqual([PATCH]);
    expect(events.find((e) => e.type === 'response.custom_tool_call_input.done')).toMatchObject({ input: PATCH });
  });

  it('a stream cut during the call ends with response.failed holding the input so far, incomplete', async () => {
    const { client } = await start();
    const head = { id: 'chatcmpl-cut', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini' };
    const frame = (delta: unknown) => `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    const pieces = [
      frame({ role: 'assistant', content: null }),
      frame({ tool_calls: [{ index: 0, id: 'call_cut', type: 'function', function: { name: 'apply_patch', arguments: '' } }] }),
      frame({ tool_calls: [{ index: 0, function: { arguments: '{"input":"*** Begin Patch\\n*** Add' } }] }),
    ];
    fake.up.script({ kind: 'raw', contentType: 'text/event-stream', pieces }); // ends without finish_reason or [DONE]
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch], stream: true });
    const events: ResponseStreamEvent[] = [];
    for await (const e of stream) events.push(e);
    expect(events.map((e) => e.type).slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.map((e) => e.type)).not.toContain('response.custom_tool_call_input.done');
    const failed = events.at(-1)!;
    if (failed.type !== 'response.failed') throw new Error(failed.type);
    expect(failed.response.output).toMatchObject([{ type: 'custom_tool_call', status: 'incomplete', call_id: 'call_cut', name: 'apply_patch', input: '*** Begin Patch\n*** Add' }]);
  });

  it('custom_tool_call and custom_tool_call_output input items become the assistant call and the tool message', async () => {
    const { client } = await start();
    await client.responses.create({
      model: 'gpt-4o-mini',
      tools: [applyPatch],
      input: [
        { role: 'user', content: 'add hello.txt' },
        { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: PATCH },
        { type: 'custom_tool_call_output', call_id: 'call_1', output: 'Done!' },
      ],
    });
    expect(upstreamBody().messages).toEqual([
      { role: 'user', content: 'add hello.txt' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'Done!' },
    ]);
  });

  it('an item_reference to a stored custom_tool_call is that call', async () => {
    const { client } = await start();
    fake.up.script(called(PATCH));
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch] });
    await client.responses.create({
      model: 'gpt-4o-mini',
      tools: [applyPatch],
      input: [{ role: 'user', content: 'add hello.txt' }, { type: 'item_reference', id: first.output[0].id! }, { type: 'custom_tool_call_output', call_id: 'call_fake1', output: 'Done!' }],
    });
    expect(upstreamBody().messages).toEqual([
      { role: 'user', content: 'add hello.txt' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake1', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) } }] },
      { role: 'tool', tool_call_id: 'call_fake1', content: 'Done!' },
    ]);
  });

  it('stored responses and previous_response_id carry the call', async () => {
    const { client, origin } = await start();
    fake.up.script(called(PATCH));
    const first = await client.responses.create({ model: 'gpt-4o-mini', input: 'add hello.txt', tools: [applyPatch] });
    const kept = await client.responses.retrieve(first.id);
    expect(kept.output).toEqual(first.output);
    await client.responses.create({ model: 'gpt-4o-mini', previous_response_id: first.id, tools: [applyPatch], input: [{ type: 'custom_tool_call_output', call_id: 'call_fake1', output: 'Done!' }] });
    expect(upstreamBody().messages).toEqual([
      { role: 'user', content: 'add hello.txt' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_fake1', type: 'function', function: { name: 'apply_patch', arguments: JSON.stringify({ input: PATCH }) } }] },
      { role: 'tool', tool_call_id: 'call_fake1', content: 'Done!' },
    ]);
    const items = await client.responses.inputItems.list(first.id);
    expect(items.data).toMatchObject([{ type: 'message', role: 'user' }]);
    const res = await fetch(`${origin}/v1/responses/${first.id}`, { headers: { authorization: 'Bearer sk-test-client' } });
    expect(((await res.json()) as { output: unknown[] }).output).toMatchObject([{ type: 'custom_tool_call', input: PATCH }]);
  });

  it('a custom tool with a bad format or a taken name is a 400 naming the field', async () => {
    const { client } = await start();
    const cases: [unknown[], string][] = [
      [[{ ...applyPatch, format: { type: 'grammar', syntax: 'peg', definition: GRAMMAR } }], 'tools[0].format.syntax'],
      [[{ ...applyPatch, format: { type: 'grammar', syntax: 'lark' } }], 'tools[0].format.definition'],
      [[{ ...applyPatch, format: { type: 'json' } }], 'tools[0].format.type'],
      [[{ type: 'custom' }], 'tools[0].name'],
      [[applyPatch, { type: 'function', name: 'apply_patch', parameters: {} }], 'tools[1].name'],
    ];
    for (const [tools, param] of cases) {
      const e = await client.responses.create({ model: 'gpt-4o-mini', input: 'x', tools: tools as never }).then(() => undefined, (err: unknown) => err);
      expect(e, param).toBeInstanceOf(OpenAI.BadRequestError);
      expect((e as InstanceType<typeof OpenAI.BadRequestError>).param, param).toBe(param);
    }
    const e = await client.responses.create({ model: 'gpt-4o-mini', input: [{ type: 'custom_tool_call', call_id: 'c', name: 'apply_patch' } as never] }).then(() => undefined, (err: unknown) => err);
    expect((e as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('input[0].input');
  });
});
