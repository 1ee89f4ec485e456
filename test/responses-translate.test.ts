import { describe, expect, it } from 'vitest';
import { GatewayError } from '../core/errors/gateway-error.js';
import { toChatRequest } from '../core/http/responses/request.js';
import type { ResponsesRequest } from '../core/http/responses/types.js';

const req = (extra: Partial<ResponsesRequest>): ResponsesRequest => ({ model: 'm', input: 'hi', ...extra });

function refusal(body: ResponsesRequest): GatewayError {
  try {
    toChatRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(GatewayError);
    return err as GatewayError;
  }
  throw new Error('expected a refusal');
}

describe('Responses request -> chat request', () => {
  it('turns a string input and instructions into a system and a user message', () => {
    expect(toChatRequest(req({ instructions: 'Be brief.' }))).toEqual({
      model: 'm',
      messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi' }],
    });
  });

  it('maps the sampling, length, format, reasoning and user fields; drops OpenAI-only hints', () => {
    const chat = toChatRequest(req({
      temperature: 0.3, top_p: 0.9, max_output_tokens: 50, user: 'u1', reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true }, verbosity: 'low' },
      metadata: { k: 'v' }, store: false, include: ['reasoning.encrypted_content'], truncation: 'disabled', prompt_cache_key: 'pk',
    }));
    expect(chat).toEqual({
      model: 'm',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.3, top_p: 0.9, max_tokens: 50, user: 'u1', reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
    });
    expect(toChatRequest(req({ text: { format: { type: 'json_object' } } })).response_format).toEqual({ type: 'json_object' });
    expect(toChatRequest(req({ text: { format: { type: 'text' } } })).response_format).toBeUndefined();
  });

  it('asks for usage when it streams, since response.completed carries it', () => {
    expect(toChatRequest(req({ stream: true }))).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('translates function tools, tool_choice and parallel_tool_calls', () => {
    const chat = toChatRequest(req({
      tools: [{ type: 'function', name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true }],
      tool_choice: { type: 'function', name: 'f' },
      parallel_tool_calls: false,
    }));
    expect(chat.tools).toEqual([{ type: 'function', function: { name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true } }]);
    expect(chat.tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(chat.parallel_tool_calls).toBe(false);
    expect(toChatRequest(req({ tool_choice: 'required' })).tool_choice).toBe('required');
    // OpenAI refuses parallel_tool_calls without tools
    expect(toChatRequest(req({ parallel_tool_calls: true })).parallel_tool_calls).toBeUndefined();
  });

  it('refuses built-in tools with a 400 naming the tool', () => {
    for (const type of ['web_search', 'file_search', 'computer_use_preview']) {
      const e = refusal(req({ tools: [{ type: 'function', name: 'f' }, { type }] }));
      expect(e.status).toBe(400);
      expect(e.param).toBe('tools[1].type');
      expect(e.message).toContain(type);
      expect(e.code).toBe('unsupported_tool');
    }
    expect(refusal(req({ tool_choice: { type: 'web_search_preview' } })).param).toBe('tool_choice.type');
  });

  it('translates a conversation of items: messages, parts, function calls and their outputs', () => {
    const chat = toChatRequest(req({
      input: [
        { role: 'developer', content: 'dev note' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'look' }, { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'high' }] },
        { type: 'reasoning', summary: [{ type: 'summary_text', text: 'thinking' }] },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Let me check.' }] },
        { type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{"a":1}' },
        { type: 'function_call', call_id: 'call_2', name: 'g', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'one' },
        { type: 'function_call_output', call_id: 'call_2', output: [{ type: 'input_text', text: 'two' }] },
        { role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] },
      ],
    }));
    expect(chat.messages).toEqual([
      { role: 'developer', content: 'dev note' },
      { role: 'user', content: [{ type: 'text', text: 'look' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'high' } }] },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
          { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'one' },
      { role: 'tool', tool_call_id: 'call_2', content: 'two' },
      { role: 'user', content: 'a\nb' },
    ]);
  });

  it('puts a function call without a message before it in an assistant message of its own', () => {
    const chat = toChatRequest(req({ input: [{ role: 'user', content: 'go' }, { type: 'function_call', call_id: 'c', name: 'f', arguments: '{}' }, { type: 'function_call_output', call_id: 'c', output: 'ok' }] }));
    expect(chat.messages[1]).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] });
  });

  it('puts an earlier conversation between the instructions and the new input', () => {
    const chat = toChatRequest(req({ instructions: 'now', input: 'next' }), [{ role: 'user', content: 'first' }, { role: 'assistant', content: 'answer' }]);
    expect(chat.messages.map((m) => m.content)).toEqual(['now', 'first', 'answer', 'next']);
  });

  it('refuses bad items with a 400 naming the field', () => {
    const cases: [unknown, string][] = [
      [['hi'], 'input[0]'],
      [[{ role: 'robot', content: 'x' }], 'input[0].role'],
      [[{ role: 'user', content: [{ type: 'input_video' }] }], 'input[0].content[0].type'],
      [[{ role: 'user', content: [{ type: 'input_text', text: 5 }] }], 'input[0].content[0].text'],
      [[{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }], 'input[0].content[0].file_id'],
      [[{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/y.png' }] }], 'input[0].content'],
      [[{ type: 'function_call', name: 'f', arguments: '{}' }], 'input[0].call_id'],
      [[{ type: 'function_call_output', call_id: 'c', output: 7 }], 'input[0].output'],
      [[{ type: 'web_search_call', id: 'ws_1' }], 'input[0].type'],
      [[{ type: 'item_reference', id: 'msg_1' }], 'input[0].type'],
      [[{ type: 'nonsense' }], 'input[0].type'],
      [[{ type: 'reasoning', summary: [] }], 'input'],
    ];
    for (const [input, param] of cases) {
      const e = refusal(req({ input: input as ResponsesRequest['input'] }));
      expect([e.status, e.param], JSON.stringify(input)).toEqual([400, param]);
    }
    expect(refusal(req({ input: [{ type: 'web_search_call' }] })).code).toBe('unsupported_tool');
  });

  it('refuses what only OpenAI serves: background, conversations, stored prompts', () => {
    expect(refusal(req({ background: true })).param).toBe('background');
    expect(refusal(req({ conversation: 'conv_1' })).param).toBe('conversation');
    expect(refusal(req({ prompt: { id: 'pmpt_1' } })).param).toBe('prompt');
    expect(() => toChatRequest(req({ background: false }))).not.toThrow();
  });
});
