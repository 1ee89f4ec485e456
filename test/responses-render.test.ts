import { describe, expect, it } from 'vitest';
import type { ChatChunk, ChatCompletion, ChunkDelta } from '../core/contract/openai.js';
import { RawChatChunk } from '../core/contract/raw.js';
import { GatewayError } from '../core/errors/gateway-error.js';
import { ResponseShell, responseOf } from '../core/http/responses/response-object.js';
import { ResponsesStream } from '../core/http/responses/stream.js';
import { parseFrames } from './helpers/sse-frames.js';

const shell = (extra: Record<string, unknown> = {}) => new ResponseShell({ model: 'asked', input: 'hi', metadata: { k: 'v' }, ...extra }, 'asked', false);

const completion = (message: Record<string, unknown>, finish = 'stop'): ChatCompletion => ({
  id: 'c', object: 'chat.completion', created: 1, model: 'upstream-id',
  choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finish }],
  usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8, completion_tokens_details: { reasoning_tokens: 2 } },
});

describe('response object from a completion', () => {
  it('has the identity, the requested model, the echoed settings, text output and usage', () => {
    const r = responseOf(shell(), completion({ content: 'Hello' }));
    expect(r.id).toMatch(/^resp_[0-9a-f]{32}$/);
    expect(r).toMatchObject({
      object: 'response', status: 'completed', model: 'asked', error: null, incomplete_details: null, metadata: { k: 'v' },
      output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello', annotations: [] }] }],
      usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8, output_tokens_details: { reasoning_tokens: 2 }, input_tokens_details: { cached_tokens: 0 } },
    });
    expect(r.output[0].id).toMatch(/^msg_/);
    expect(typeof r.created_at).toBe('number');
  });

  it('renders reasoning as a summary, tool calls as function_call items', () => {
    const r = responseOf(shell(), completion({
      reasoning_content: 'think',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    }, 'tool_calls'));
    expect(r.output).toEqual([
      { id: expect.stringMatching(/^rs_/), type: 'reasoning', summary: [{ type: 'summary_text', text: 'think' }] },
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
    ]);
    expect(new Set(r.output.map((o) => o.id)).size).toBe(2);
  });

  it('is incomplete with reason max_output_tokens when the answer hit its length', () => {
    const r = responseOf(shell(), completion({ content: 'Hel' }, 'length'));
    expect(r.status).toBe('incomplete');
    expect(r.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(r.output[0]).toMatchObject({ type: 'message', status: 'incomplete' });
  });
});

/** What a renderer wrote, as the events a client parses. */
function sink() {
  const events: { name: string; data: Record<string, unknown> }[] = [];
  return {
    events,
    out: {
      data: () => { throw new Error('Responses events are named'); },
      frames: (text: string) => void events.push(...parseFrames(text)),
      event: (name: string, json: string) => events.push({ name, data: JSON.parse(json) }),
    },
  };
}

const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'upstream-id' };
const ch = (delta: ChunkDelta, finish: string | null = null): ChatChunk => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
const usage = { ...base, choices: [], usage: { prompt_tokens: 4, completion_tokens: 6, total_tokens: 10 } };

function render(chunks: ChatChunk[], end: 'done' | GatewayError = 'done') {
  const { events, out } = sink();
  const r = new ResponsesStream(shell());
  for (const c of chunks) r.chunk(c, out);
  if (end === 'done') r.done(out);
  else r.fail(end, out);
  for (const e of events) expect(e.data.type).toBe(e.name);
  expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
  return events;
}

describe('Responses stream renderer', () => {
  it('streams text: created, in_progress, item and part added, deltas, dones, completed with usage', () => {
    const events = render([ch({ role: 'assistant', content: '' }), ch({ content: 'Hel' }), ch({ content: 'lo' }), ch({}, 'stop'), usage]);
    expect(events.map((e) => e.name)).toEqual([
      'response.created', 'response.in_progress',
      'response.output_item.added', 'response.content_part.added',
      'response.output_text.delta', 'response.output_text.delta',
      'response.output_text.done', 'response.content_part.done', 'response.output_item.done',
      'response.completed',
    ]);
    expect(events[0].data.response).toMatchObject({ status: 'in_progress', output: [], model: 'asked' });
    expect(events[4].data).toMatchObject({ delta: 'Hel', output_index: 0, content_index: 0, item_id: events[2].data.item && (events[2].data.item as { id: string }).id });
    expect(events[6].data.text).toBe('Hello');
    const final = events[9].data.response as Record<string, unknown>;
    expect(final).toMatchObject({
      status: 'completed', model: 'asked',
      output: [{ type: 'message', status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] }],
      usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10 },
    });
    expect(final.id).toBe((events[0].data.response as { id: string }).id);
  });

  it('streams reasoning as summary events, then the message', () => {
    const events = render([ch({ role: 'assistant' }), ch({ reasoning_content: 'hm' }), ch({ reasoning_content: 'm' }), ch({ content: 'A' }), ch({}, 'stop')]);
    expect(events.map((e) => e.name).slice(2, 10)).toEqual([
      'response.output_item.added', 'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta', 'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done', 'response.reasoning_summary_part.done', 'response.output_item.done',
      'response.output_item.added',
    ]);
    expect(events[6].data).toMatchObject({ text: 'hmm', summary_index: 0, output_index: 0 });
    const final = events.at(-1)!.data.response as { output: { type: string; output_index?: number }[] };
    expect(final.output.map((o) => o.type)).toEqual(['reasoning', 'message']);
    expect(events[9].data.output_index).toBe(1);
  });

  it('streams parallel tool calls as function_call items with argument deltas', () => {
    const events = render([
      ch({ role: 'assistant', content: null }),
      ch({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }] }),
      ch({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      ch({ tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      ch({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      ch({}, 'tool_calls'),
    ]);
    const names = events.map((e) => e.name);
    expect(names.filter((n) => n === 'response.function_call_arguments.delta')).toHaveLength(3);
    const done = events.filter((e) => e.name === 'response.function_call_arguments.done').map((e) => e.data);
    expect(done).toMatchObject([{ name: 'f', arguments: '{"a":1}', output_index: 0 }, { name: 'g', arguments: '{}', output_index: 1 }]);
    const final = events.at(-1)!;
    expect(final.name).toBe('response.completed');
    expect((final.data.response as { output: unknown[] }).output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_2', name: 'g', arguments: '{}' },
    ]);
  });

  it('ends an answer cut at its length with response.incomplete', () => {
    const events = render([ch({ role: 'assistant', content: 'Hel' }), ch({}, 'length')]);
    expect(events.at(-1)).toMatchObject({ name: 'response.incomplete', data: { response: { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } } } });
  });

  it('ends a failed stream with an error event and response.failed, never response.completed', () => {
    const e = new GatewayError('SWB_ERR_BAD_UPSTREAM_RESPONSE', 'The upstream stream was cut.');
    const events = render([ch({ role: 'assistant', content: 'Hel' })], e);
    const names = events.map((x) => x.name);
    expect(names).not.toContain('response.completed');
    expect(names.slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.at(-2)!.data).toMatchObject({ code: 'bad_upstream_response', message: 'The upstream stream was cut.', param: null });
    expect(events.at(-1)!.data.response).toMatchObject({
      status: 'failed',
      error: { code: 'bad_upstream_response', message: 'The upstream stream was cut.' },
      output: [{ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'Hel' }] }],
    });
  });

  it('reads raw upstream chunks without re-serialising them, and renders an empty answer as an empty message', () => {
    const raw = new RawChatChunk(JSON.stringify(ch({ role: 'assistant', content: 'x' })));
    expect(render([raw, ch({}, 'stop')]).at(-1)!.data.response).toMatchObject({ output: [{ content: [{ text: 'x' }] }] });
    expect(raw.text).toBe(JSON.stringify(ch({ role: 'assistant', content: 'x' })));
    expect(render([ch({ role: 'assistant' }), ch({}, 'stop')]).at(-1)!.data.response).toMatchObject({ output: [{ type: 'message', content: [{ type: 'output_text', text: '' }] }] });
  });

  it('copies escaped text deltas as they are and decodes them once for the final text; anything JSON does not allow takes the parsing path', () => {
    const rawDelta = (content: string) => new RawChatChunk(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}`);
    const text = 'He said \\"hi\\"\\n\\u00e9 \\ud83d\\ude00 a\\/b \\\\';
    const events = render([ch({ role: 'assistant', content: '' }), rawDelta(text), rawDelta(' plain'), ch({}, 'stop')]);
    const deltas = events.filter((e) => e.name === 'response.output_text.delta').map((e) => e.data.delta);
    expect(deltas).toEqual(['He said "hi"\né 😀 a/b \\', ' plain']);
    expect(events.find((e) => e.name === 'response.output_text.done')!.data.text).toBe('He said "hi"\né 😀 a/b \\ plain');
    expect(events.at(-1)!.data.response).toMatchObject({ output: [{ content: [{ text: 'He said "hi"\né 😀 a/b \\ plain' }] }] });
    // a raw control character or a bad escape is not copied into our JSON: the chunk is parsed, which refuses it
    for (const bad of ['tab\there', 'bad \\x escape', 'short \\u12']) {
      const written: string[] = [];
      const out = { data: () => undefined, frames: (text: string) => void written.push(...parseFrames(text).map((e) => JSON.stringify(e.data))), event: (_: string, json: string) => void written.push(json) };
      const r = new ResponsesStream(shell());
      r.chunk(ch({ role: 'assistant', content: '' }), out);
      expect(() => r.chunk(rawDelta(bad), out)).toThrow(SyntaxError);
      for (const json of written) expect(() => JSON.parse(json)).not.toThrow();
      expect(written.join('')).not.toContain('here');
    }
  });

  it('writes the final response as the JSON of the object it stores, for every kind of item', () => {
    const rawDelta = (content: string) => new RawChatChunk(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"up","choices":[{"index":0,"delta":{"content":"${content}"},"finish_reason":null}]}`);
    const streams: ChatChunk[][] = [
      [ch({ role: 'assistant', content: '' }), rawDelta('a \\"b\\" \\u00e9'), ch({ content: ' c\n' }), ch({}, 'stop'), usage],
      [ch({ reasoning_content: 'think "hard"' }), ch({ content: 'x' }), ch({ refusal: 'no "way"' }), ch({}, 'length')],
      [ch({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":' } }] }), ch({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }), ch({}, 'tool_calls'), usage],
      [ch({}, 'stop')],
    ];
    for (const chunks of streams) {
      const ended: [unknown, string][] = [];
      const { out, events } = sink();
      const r = new ResponsesStream(shell({ model: 'a "quoted" model', tools: [{ type: 'function', name: 'f', parameters: {} }], reasoning: { effort: 'high' } }), (response, json) => ended.push([response, json]));
      for (const c of chunks) r.chunk(c, out);
      r.done(out);
      expect(ended).toHaveLength(1);
      const [response, json] = ended[0];
      // the same document; the text keeps the upstream's own escapes (`\u00e9` stays as sent)
      expect(JSON.parse(json)).toEqual(response);
      expect(events.at(-1)!.data.response).toEqual(response);
      // the in-progress snapshots are the same object without output or usage
      expect(events[0].data.response).toEqual({ ...(response as object), status: 'in_progress', output: [], usage: null, incomplete_details: null });
    }
  });

  it('shell.json is the JSON of shell.object in every state', () => {
    const s = new ResponseShell({ model: 'm', input: 'hi', instructions: 'be "brief"', metadata: { a: '1' }, text: { format: { type: 'text' }, verbosity: 'low' }, user: 'u' }, 'asked "m"', true);
    const out = [{ id: 'msg_1', type: 'message' as const, status: 'completed' as const, role: 'assistant' as const, content: [] }];
    const usage = { input_tokens: 1, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 3 };
    expect(s.json('in_progress', '[]', null)).toBe(JSON.stringify(s.object('in_progress', [], null)));
    expect(s.json('completed', JSON.stringify(out), usage)).toBe(JSON.stringify(s.object('completed', out, usage)));
    expect(s.json('incomplete', '[]', usage, { incomplete_details: { reason: 'max_output_tokens' } })).toBe(JSON.stringify(s.object('incomplete', [], usage, { incomplete_details: { reason: 'max_output_tokens' } })));
    expect(s.json('failed', '[]', null, { error: { code: 'x', message: 'y "z"' } })).toBe(JSON.stringify(s.object('failed', [], null, { error: { code: 'x', message: 'y "z"' } })));
    const other = new ResponseShell({
      model: 'm', input: 'hi', temperature: 0, top_p: 0.5, parallel_tool_calls: false, previous_response_id: 'resp_1', max_output_tokens: 10,
      tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }], tool_choice: { type: 'function', name: 'f' },
      text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } }, reasoning: { effort: 'low', summary: 'auto' },
    }, 'm', false);
    expect(other.json('completed', '[]', usage)).toBe(JSON.stringify(other.object('completed', [], usage)));
    // an upstream's odd usage is written as it is, still as valid JSON
    const odd = { ...usage, total_tokens: undefined as unknown as number };
    expect(other.json('completed', '[]', odd)).toBe(JSON.stringify(other.object('completed', [], odd)));
  });
});
