/** The Messages front door's pure translation: Anthropic request -> canonical, canonical -> Anthropic message. */
import { describe, expect, it } from 'vitest';
import { toChatRequest, reasoningEffort } from '../core/http/anthropic/request.js';
import { parseInput, toMessage, usageOf } from '../core/http/anthropic/message.js';
import { estimateInputTokens } from '../core/http/anthropic/count-tokens.js';
import type { MessagesRequest } from '../core/http/anthropic/types.js';
import type { ChatCompletion } from '../core/contract/openai.js';
import { GatewayError } from '../core/errors/gateway-error.js';

const req = (extra: Partial<MessagesRequest>): MessagesRequest => ({ model: 'claude-x', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], ...extra });

function refusal(body: MessagesRequest): GatewayError {
  try {
    toChatRequest(body);
  } catch (e) {
    if (e instanceof GatewayError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('Anthropic request -> canonical', () => {
  it('maps the plain fields and drops top_k', () => {
    const out = toChatRequest(req({ temperature: 0.5, top_p: 0.9, top_k: 40, stop_sequences: ['END'], metadata: { user_id: 'u-1' }, stream: true }));
    expect(out).toEqual({
      model: 'claude-x',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 100,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      top_p: 0.9,
      stop: ['END'],
      user: 'u-1',
    });
  });

  it('puts system (string or blocks, cache_control dropped) and role:system messages into one system prompt', () => {
    const out = toChatRequest(
      req({
        system: [{ type: 'text', text: 'A', cache_control: { type: 'ephemeral' } }, { type: 'text', text: 'B' }],
        messages: [{ role: 'system', content: 'C' }, { role: 'user', content: 'hi' }],
      }),
    );
    expect(out.messages).toEqual([{ role: 'system', content: 'A\n\nB\n\nC' }, { role: 'user', content: 'hi' }]);
    expect(toChatRequest(req({ system: 'S' })).messages[0]).toEqual({ role: 'system', content: 'S' });
  });

  it('turns image blocks into image_url parts (base64 as a data URL, url as is)', () => {
    const out = toChatRequest(
      req({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'look' },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            ],
          },
        ],
      }),
    );
    expect(out.messages[0].content).toEqual([
      { type: 'text', text: 'look' },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
      { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
    ]);
  });

  it('maps tool_use / tool_result history, dropping thinking blocks, and marks is_error in the text', () => {
    const out = toChatRequest(
      req({
        messages: [
          { role: 'user', content: 'weather?' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'hmm', signature: 'sig' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
              { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'sunny' }] },
              { type: 'tool_result', tool_use_id: 'toolu_2', content: 'clock broke', is_error: true },
              { type: 'text', text: 'thanks' },
            ],
          },
        ],
      }),
    );
    expect(out.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: clock broke' },
      { role: 'user', content: 'thanks' },
    ]);
  });

  it('moves images of a tool result into a user message after the tool messages', () => {
    const out = toChatRequest(
      req({
        messages: [
          { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'shot', input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't', content: [{ type: 'text', text: 'ok' }, { type: 'image', source: { type: 'url', url: 'https://x/y.png' } }] }] },
        ],
      }),
    );
    expect(out.messages.slice(1)).toEqual([
      { role: 'tool', tool_call_id: 't', content: 'ok' },
      { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] },
    ]);
    expect(out.messages[0]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'shot', arguments: '{}' } }] });
  });

  it('maps tools and every tool_choice, disable_parallel_tool_use as parallel_tool_calls false', () => {
    const tools = [{ name: 'f', description: 'does f', input_schema: { type: 'object', properties: {} }, cache_control: { type: 'ephemeral' } }];
    const base = { tools };
    expect(toChatRequest(req(base)).tools).toEqual([{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: {} } } }]);
    expect(toChatRequest(req({ ...base, tool_choice: { type: 'auto' } })).tool_choice).toBe('auto');
    expect(toChatRequest(req({ ...base, tool_choice: { type: 'any' } })).tool_choice).toBe('required');
    expect(toChatRequest(req({ ...base, tool_choice: { type: 'none' } })).tool_choice).toBe('none');
    const forced = toChatRequest(req({ ...base, tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true } }));
    expect(forced.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(forced.parallel_tool_calls).toBe(false);
    // without tools OpenAI refuses parallel_tool_calls, so it is not sent
    expect(toChatRequest(req({ tool_choice: { type: 'auto', disable_parallel_tool_use: true } })).parallel_tool_calls).toBeUndefined();
  });

  it('turns thinking budgets into reasoning_effort with max_completion_tokens', () => {
    expect(reasoningEffort({ type: 'enabled', budget_tokens: 4000 })).toBe('low');
    expect(reasoningEffort({ type: 'enabled', budget_tokens: 10000 })).toBe('medium');
    expect(reasoningEffort({ type: 'enabled', budget_tokens: 31999 })).toBe('high');
    expect(reasoningEffort({ type: 'disabled' })).toBeUndefined();
    const out = toChatRequest(req({ thinking: { type: 'enabled', budget_tokens: 2048 } }));
    expect(out).toMatchObject({ reasoning_effort: 'low', max_completion_tokens: 100 });
    expect(out.max_tokens).toBeUndefined();
  });

  it('refuses document blocks and Anthropic-run tools with a 400 naming the field', () => {
    const doc = refusal(req({ messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'document', source: { type: 'text', data: 'x' } }] }] }));
    expect(doc.status).toBe(400);
    expect(doc.param).toBe('messages[0].content[1]');
    expect(doc.message).toMatch(/document/);
    const tool = refusal(req({ tools: [{ name: 'web_search', type: 'web_search_20250305', input_schema: {} }] }));
    expect(tool.param).toBe('tools[0].type');
    expect(refusal(req({ system: 'x', messages: [{ role: 'system', content: [{ type: 'image', source: { type: 'url', url: 'u' } }] }, { role: 'user', content: 'x' }] })).param).toBe('messages[0].content[0].type');
  });
});

const completion = (message: Record<string, unknown>, finish: string, usage?: Record<string, unknown>): ChatCompletion =>
  ({ id: 'c', object: 'chat.completion', created: 1, model: 'upstream-id', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], usage }) as ChatCompletion;

describe('canonical completion -> Anthropic message', () => {
  it('renders thinking, text and tool_use blocks with parsed input, the requested model and usage', () => {
    const m = toMessage(
      completion(
        { content: 'Sure.', reasoning_content: 'let me think', tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] },
        'tool_calls',
        { prompt_tokens: 30, completion_tokens: 7, total_tokens: 37, prompt_tokens_details: { cached_tokens: 10 } },
      ),
      'claude-sonnet-4-5',
      undefined,
    );
    expect(m.id).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(m).toMatchObject({ type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', stop_reason: 'tool_use', stop_sequence: null });
    expect(m.content).toEqual([
      { type: 'thinking', thinking: 'let me think', signature: '' },
      { type: 'text', text: 'Sure.' },
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
    ]);
    expect(m.usage).toEqual({ input_tokens: 20, output_tokens: 7, cache_read_input_tokens: 10 });
  });

  it('maps finish reasons', () => {
    const reason = (f: string, extra: Record<string, unknown> = {}, stops?: string[]) => {
      const c = completion({ content: 'x' }, f);
      Object.assign(c.choices[0], extra);
      return toMessage(c, 'm', stops);
    };
    expect(reason('stop').stop_reason).toBe('end_turn');
    expect(reason('length').stop_reason).toBe('max_tokens');
    expect(reason('content_filter').stop_reason).toBe('refusal');
    // vLLM names the stop string that matched
    expect(reason('stop', { stop_reason: 'END' }, ['END'])).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    expect(usageOf(undefined)).toEqual({ input_tokens: 0, output_tokens: 0 });
  });

  it('keeps broken tool arguments rather than losing them', () => {
    expect(parseInput('')).toEqual({});
    expect(parseInput('{"a":')).toEqual({ _raw_arguments: '{"a":' });
  });
});

describe('count_tokens estimate', () => {
  it('counts about four characters a token and a flat figure per image', () => {
    const n = estimateInputTokens({ system: 'x'.repeat(40), messages: [{ role: 'user', content: [{ type: 'text', text: 'y'.repeat(400) }, { type: 'image', source: { type: 'url', url: 'u' } }] }] });
    expect(n).toBe(10 + 4 + 100 + 1600);
  });
});
