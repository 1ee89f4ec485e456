import { describe, expect, it } from 'vitest';
import { completionToChunks } from '../core/canonical/chunks.js';
import { CompletionFolder } from '../core/canonical/fold.js';
import { RawChatChunk, jsonText, peekChunk } from '../core/contract/raw.js';
import type { ChatChunk, ChunkDelta } from '../core/contract/openai.js';

const text = '{"id":"c1","object":"chat.completion.chunk","created":5,"model":"m",  "choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}],"x_extra":1}';

describe('RawChatChunk', () => {
  it('forwards the upstream text byte for byte while only looked at', () => {
    const c = new RawChatChunk(text);
    expect(peekChunk(c).choices[0].delta.content).toBe('hi');
    expect(jsonText(c)).toBe(text);
  });

  it('re-serialises once a field is opened for change, keeping unknown fields', () => {
    const c = new RawChatChunk(text);
    c.choices[0].delta.content = 'changed';
    c.model = 'alias';
    const out = JSON.parse(jsonText(c));
    expect(out.choices[0].delta.content).toBe('changed');
    expect(out.model).toBe('alias');
    expect(out.x_extra).toBe(1);
  });

  it('serialises through JSON.stringify like a plain chunk', () => {
    expect(JSON.parse(JSON.stringify({ c: new RawChatChunk(text) })).c.id).toBe('c1');
  });
});

const base = { id: 'c', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
const ch = (index: number, delta: ChunkDelta, finish: string | null = null): ChatChunk => ({ ...base, choices: [{ index, delta, finish_reason: finish }] });

describe('CompletionFolder', () => {
  it('joins content, reasoning and tool-call fragments per choice', () => {
    const f = new CompletionFolder();
    for (const c of [
      ch(0, { role: 'assistant', content: '' }),
      ch(0, { reasoning_content: 'think' }),
      ch(0, { content: 'Hel' }),
      ch(1, { content: 'Other' }),
      ch(0, { content: 'lo' }),
      ch(0, { tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }] }),
      ch(0, { tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      ch(0, {}, 'tool_calls'),
      ch(1, {}, 'stop'),
      { ...base, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } },
    ]) f.add(c);
    const r = f.result();
    expect(r.choices[0].message).toEqual({
      role: 'assistant',
      content: 'Hello',
      reasoning_content: 'think',
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
    });
    expect(r.choices[0].finish_reason).toBe('tool_calls');
    expect(r.choices[1]).toMatchObject({ index: 1, message: { content: 'Other' }, finish_reason: 'stop' });
    expect(r.usage?.total_tokens).toBe(3);
    expect(r.object).toBe('chat.completion');
  });

  it('round-trips a completion through completionToChunks', () => {
    const completion = {
      id: 'x',
      object: 'chat.completion' as const,
      created: 2,
      model: 'm',
      choices: [{ index: 0, message: { role: 'assistant' as const, content: 'whole answer' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 },
    };
    const f = new CompletionFolder();
    for (const c of completionToChunks(completion, true)) f.add(c);
    expect(f.result()).toMatchObject({ id: 'x', choices: [{ message: { content: 'whole answer' }, finish_reason: 'stop' }], usage: completion.usage });
  });
});

describe('brands', () => {
  it('instanceof holds for objects made by a second copy of the core (a plugin importing the sources)', async () => {
    const copy = (await import(/* @vite-ignore */ new URL('../core/contract/raw.ts?copy', import.meta.url).href)) as typeof import('../core/contract/raw.js');
    const errors = (await import(/* @vite-ignore */ new URL('../core/upstream/upstream-error.ts?copy', import.meta.url).href)) as typeof import('../core/upstream/upstream-error.js');
    const { UpstreamError } = await import('../core/upstream/upstream-error.js');
    expect(copy.RawChatChunk).not.toBe(RawChatChunk);
    const foreign = new copy.RawChatChunk(text);
    expect(foreign instanceof RawChatChunk).toBe(true);
    expect(jsonText(foreign)).toBe(text);
    expect(new errors.UpstreamError('x', { status: 429 }) instanceof UpstreamError).toBe(true);
    expect(new Error('x') instanceof UpstreamError).toBe(false);
    expect({} instanceof RawChatChunk).toBe(false);
  });
});
