/** The Messages front door's stream renderer: canonical chunks in, Anthropic's named events out. */
import { describe, expect, it } from 'vitest';
import { AnthropicStream } from '../core/http/anthropic/stream.js';
import { anthropicError } from '../core/http/anthropic/errors.js';
import { GatewayError } from '../core/errors/gateway-error.js';
import { RawChatChunk } from '../core/contract/raw.js';
import type { ChatChunk, ChunkDelta } from '../core/contract/openai.js';
import { plainTextLiteral, TextDeltaScanner } from '../core/http/text-delta.js';
import { parseFrames } from './helpers/sse-frames.js';

/** The scan's find, decoded: the text the chunk carries. */
const plainTextDelta = (c: ChatChunk) => {
  const literal = plainTextLiteral(c);
  return literal === undefined ? undefined : (JSON.parse(`"${literal}"`) as string);
};

const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'up' };
const ch = (delta: ChunkDelta, finish: string | null = null, usage?: ChatChunk['usage']): ChatChunk => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) });

function render(chunks: ChatChunk[], end: 'done' | GatewayError = 'done', stops?: string[]) {
  const events: { event: string; data: Record<string, any> }[] = [];
  const sink = {
    data: () => expect.fail('Anthropic events are named'),
    frames: (text: string) => void events.push(...parseFrames(text).map((e) => ({ event: e.name, data: e.data as Record<string, any> }))),
    event: (event: string, json: string) => void events.push({ event, data: JSON.parse(json) }),
  };
  const r = new AnthropicStream('claude-sonnet-4-5', stops);
  for (const c of chunks) r.chunk(c, sink);
  if (end === 'done') r.done(sink);
  else r.fail(end, sink);
  for (const e of events) expect(e.data.type).toBe(e.event); // every event's name is its type
  return events;
}

describe('AnthropicStream', () => {
  it('streams thinking, then text, with a block per kind and the usage at the end', () => {
    const ev = render([
      ch({ role: 'assistant', content: '' }),
      ch({ reasoning_content: 'hm' }),
      ch({ reasoning_content: 'm' }),
      ch({ content: 'Hel' }),
      new RawChatChunk(JSON.stringify(ch({ content: 'lo' }))),
      ch({}, 'stop'),
      { ...base, choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } },
    ]);
    expect(ev.map((e) => e.event)).toEqual([
      'message_start', 'ping',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'content_block_start', 'content_block_delta', 'content_block_delta', 'content_block_stop',
      'message_delta', 'message_stop',
    ]);
    expect(ev[0].data.message).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null });
    expect(ev[0].data.message.id).toMatch(/^msg_/);
    expect(ev[2].data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } });
    expect(ev[3].data.delta).toEqual({ type: 'thinking_delta', thinking: 'hm' });
    expect(ev[6].data).toEqual({ type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } });
    expect(ev[8].data).toEqual({ type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'lo' } });
    expect(ev[9].data).toEqual({ type: 'content_block_stop', index: 1 });
    expect(ev[10].data).toEqual({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 12, output_tokens: 3 } });
  });

  it('gives each tool call its own block and streams its arguments as input_json_delta', () => {
    const ev = render([
      ch({ role: 'assistant', content: '' }),
      ch({ content: 'Let me check.' }),
      ch({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'f', arguments: '' } }] }),
      ch({ tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] }),
      ch({ tool_calls: [{ index: 0, function: { arguments: '1}' } }] }),
      ch({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'g', arguments: '{}' } }] }),
      ch({}, 'tool_calls'),
    ]);
    const starts = ev.filter((e) => e.event === 'content_block_start').map((e) => e.data);
    expect(starts).toEqual([
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'call_a', name: 'f', input: {} } },
      { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'call_b', name: 'g', input: {} } },
    ]);
    const json = ev.filter((e) => e.data.delta?.type === 'input_json_delta').map((e) => [e.data.index, e.data.delta.partial_json]);
    expect(json).toEqual([[1, '{"a":'], [1, '1}'], [2, '{}']]);
    expect(ev.filter((e) => e.event === 'content_block_stop').map((e) => e.data.index)).toEqual([0, 1, 2]);
    expect(ev.at(-2)!.data.delta.stop_reason).toBe('tool_use');
    expect(ev.at(-2)!.data.usage).toEqual({ input_tokens: 0, output_tokens: 0 });
  });

  it('maps length to max_tokens', () => {
    const ev = render([ch({ role: 'assistant', content: 'a' }), ch({}, 'length')]);
    expect(ev.at(-2)!.data.delta.stop_reason).toBe('max_tokens');
  });

  it('ends a failed stream with an error event in Anthropic envelope, never message_stop', () => {
    const ev = render([ch({ role: 'assistant', content: 'Hel' })], new GatewayError('SWB_ERR_UPSTREAM_TIMEOUT', 'upstream idle timeout'));
    expect(ev.map((e) => e.event)).toEqual(['message_start', 'ping', 'content_block_start', 'content_block_delta', 'error']);
    expect(ev.at(-1)!.data).toEqual({ type: 'error', error: { type: 'timeout_error', message: 'upstream idle timeout' } });
  });
});

describe('anthropicError', () => {
  const cases: [ConstructorParameters<typeof GatewayError>[0], number, string][] = [
    ['SWB_ERR_INVALID_TYPE', 400, 'invalid_request_error'],
    ['SWB_ERR_INVALID_API_KEY', 401, 'authentication_error'],
    ['SWB_ERR_MODEL_ACCESS_DENIED', 403, 'permission_error'],
    ['SWB_ERR_MODEL_NOT_FOUND', 404, 'not_found_error'],
    ['SWB_ERR_BODY_TOO_LARGE', 413, 'request_too_large'],
    ['SWB_ERR_UPSTREAM_RATE_LIMITED', 429, 'rate_limit_error'],
    ['SWB_ERR_INTERNAL', 500, 'api_error'],
    ['SWB_ERR_UPSTREAM_ERROR', 502, 'api_error'],
    ['SWB_ERR_NO_UPSTREAM', 503, 'api_error'],
    ['SWB_ERR_CIRCUIT_OPEN', 529, 'overloaded_error'],
    ['SWB_ERR_PROVIDER_BUSY', 529, 'overloaded_error'],
    ['SWB_ERR_QUEUE_TIMEOUT', 529, 'overloaded_error'],
    ['SWB_ERR_UPSTREAM_TIMEOUT', 504, 'timeout_error'],
  ];
  it.each(cases)('%s -> %i %s', (id, status, type) => {
    const out = anthropicError(new GatewayError(id, 'm', { headers: { 'retry-after': '3' } }));
    expect(out).toEqual({ status, body: { type: 'error', error: { type, message: 'm' } }, headers: { 'retry-after': '3' } });
  });
});

describe('plainTextLiteral (the scan that spares parsing content chunks)', () => {
  const raw = (o: unknown) => new RawChatChunk(JSON.stringify(o));
  const content = (text: string, extra: Record<string, unknown> = {}) => raw({ ...base, choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }], system_fingerprint: 'fp', ...extra });

  it('reads the content of a content-only delta, escapes included', () => {
    expect(plainTextDelta(content(' word'))).toBe(' word');
    for (const tricky of ['say "delta":{"content":"x"}', 'a\\b\n"c"', '"finish_reason":"stop" and "usage":{', 'ünï ✓ \u0000', '']) {
      expect(plainTextDelta(content(tricky))).toBe(tricky);
    }
  });

  it('says nothing of anything else, which is then parsed', () => {
    expect(plainTextDelta(ch({ content: 'parsed already' }))).toBeUndefined();
    expect(plainTextDelta(raw({ ...base, choices: [{ index: 0, delta: { content: 'x', reasoning_content: null }, finish_reason: null }] }))).toBeUndefined();
    expect(plainTextDelta(raw({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }))).toBeUndefined();
    expect(plainTextDelta(content('x', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))).toBeUndefined();
    expect(plainTextDelta(raw({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }))).toBeUndefined();
    expect(plainTextDelta(raw({ ...base, choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }, { index: 1, delta: { content: 'b' }, finish_reason: null }] }))).toBeUndefined();
    expect(plainTextDelta(raw({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"content":"x"}' } }] }, finish_reason: null }] }))).toBeUndefined();
  });

  it('the scanner of one stream agrees with the full scan on every chunk, learned head and tail or not', () => {
    const texts = [
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }),
      ...[' one', ' two "quoted"', '', ' \\ back', ' ünï ✓'].map((t) => content(t).text),
      JSON.stringify({ ...base, created: 2, choices: [{ index: 0, delta: { content: ' tick' }, finish_reason: null }] }),
      content(' again').text,
      JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }),
      content('x', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }).text,
    ];
    // Same head and tail as the learned chunk, with a body that is not one string: another field,
    // a backslash that escapes the closing quote, a bad escape, a raw control character.
    const [head, tail] = content('\u0000SPLIT\u0000').text.split('\\u0000SPLIT\\u0000');
    const forged = ['a","refusal":"b', 'abc\\', 'bad \\x escape', 'raw \n newline', 'cut \\u00'].map((body) => head + body + tail);
    const scanner = new TextDeltaScanner();
    for (const text of [...texts, content('learn').text, ...forged, ...texts]) {
      expect(scanner.literal(new RawChatChunk(text)), text).toBe(plainTextLiteral(new RawChatChunk(text)));
    }
    expect(forged.map((text) => scanner.literal(new RawChatChunk(text)))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(scanner.literal(new RawChatChunk(head + 'fine \\"x\\"' + tail))).toBe('fine \\"x\\"');
  });

  it('the scanner reads the usual finish chunk without parsing it, and nothing that differs from the learned delta', () => {
    const finishChunk = (finish: string, extra: Record<string, unknown> = {}, delta: Record<string, unknown> = {}) =>
      raw({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }], system_fingerprint: 'fp', ...extra });
    const scanner = new TextDeltaScanner();
    expect(scanner.finish(finishChunk('stop'))).toBeUndefined(); // nothing learned yet
    scanner.literal(content('hello'));
    for (const reason of ['stop', 'length', 'tool_calls', 'content_filter']) expect(scanner.finish(finishChunk(reason))).toBe(reason);
    expect(scanner.finish(finishChunk('stop', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }))).toBeUndefined();
    expect(scanner.finish(finishChunk('stop', {}, { content: 'last words' }))).toBeUndefined();
    expect(scanner.finish(finishChunk('stop', { created: 2 }))).toBeUndefined();
    expect(scanner.finish(content('not a finish'))).toBeUndefined();
    expect(scanner.finish(ch({}, 'stop'))).toBeUndefined(); // not raw: read as it is
    // the learned chunk's text around a reason that is not a bare word
    const [head, tail] = finishChunk('SPLIT').text.split('SPLIT');
    for (const forged of ['sto\\"p', 'stop", "x":"y', 'st op', '']) expect(scanner.finish(new RawChatChunk(head + forged + tail))).toBeUndefined();
    // an upstream that reports the matched stop sequence (vLLM's stop_reason) is always parsed
    const vllm = new TextDeltaScanner();
    vllm.literal(raw({ ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null, stop_reason: null }] }));
    expect(vllm.finish(raw({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop', stop_reason: null }] }))).toBeUndefined();
  });

  it('renders raw chunks exactly as their parsed twins', () => {
    const objects = [
      ch({ role: 'assistant', content: '' }),
      ch({ content: 'He said "hi"\n' }),
      ch({ content: 'x', reasoning_content: null }),
      ch({ tool_calls: [{ index: 0, id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }),
      ch({}, 'tool_calls'),
    ];
    const strip = (ev: ReturnType<typeof render>) => ev.map((e) => (e.event === 'message_start' ? { ...e, data: { ...e.data, message: { ...e.data.message, id: '' } } } : e));
    expect(strip(render(objects.map((o) => new RawChatChunk(JSON.stringify(o)))))).toEqual(strip(render(objects)));
  });
});
