/** The bundled mock provider, as a client developer uses it. */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  sb = await startSwitchboard({
    providers: [
      { id: 'mock', plugin: 'mock', embeddingDimensions: 16 },
      { id: 'slow', plugin: 'mock', chunkDelayMs: 40, firstByteLatencyMs: 150 },
    ],
  });
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'any', maxRetries: 0 });
});
afterAll(() => sb?.close());

describe('mock provider', () => {
  it('echo repeats the last user message, streamed word by word', async () => {
    const text = '  Two  spaces and ünïcødé, kept exactly.  ';
    const s = await client.chat.completions.create({ model: 'echo', stream: true, messages: [{ role: 'system', content: 'sys' }, { role: 'user', content: text }] });
    const pieces: string[] = [];
    for await (const c of s) if (c.choices[0]?.delta.content) pieces.push(c.choices[0].delta.content);
    expect(pieces.join('')).toBe(text);
    expect(pieces.length).toBeGreaterThan(3);
  });

  it('echo reads text parts of multi-part content', async () => {
    const r = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'part one, ' }, { type: 'image_url', image_url: { url: 'data:,' } }, { type: 'text', text: 'part two' }] }],
    });
    expect(r.choices[0].message.content).toBe('part one, part two');
  });

  it('lorem gives max_tokens words and finish_reason length when cut', async () => {
    const r = await client.chat.completions.create({ model: 'lorem', max_tokens: 7, messages: [{ role: 'user', content: 'x' }] });
    expect(r.choices[0].message.content!.split(' ')).toHaveLength(7);
    expect(r.usage).toMatchObject({ completion_tokens: 7, prompt_tokens: 1, total_tokens: 8 });
    const echo = await client.chat.completions.create({ model: 'echo', max_tokens: 2, messages: [{ role: 'user', content: 'one two three' }] });
    expect(echo.choices[0]).toMatchObject({ finish_reason: 'length', message: { content: 'one two' } });
  });

  it('is deterministic', async () => {
    const ask = () => client.chat.completions.create({ model: 'lorem', messages: [{ role: 'user', content: 'x' }] });
    expect((await ask()).choices[0].message.content).toBe((await ask()).choices[0].message.content);
  });

  it('calls a forced tool, streaming the arguments in fragments', async () => {
    const final = await client.chat.completions
      .stream({
        model: 'echo',
        messages: [{ role: 'user', content: 'weather in Lviv' }],
        tools: [{ type: 'function', function: { name: 'weather', parameters: { type: 'object' } } }],
        tool_choice: { type: 'function', function: { name: 'weather' } },
      })
      .finalChatCompletion();
    const call = final.choices[0].message.tool_calls![0];
    expect(call.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ text: 'weather in Lviv' });
    expect(final.choices[0].finish_reason).toBe('tool_calls');
  });

  it('embeddings are deterministic unit vectors, float or base64, any dimensions', async () => {
    const a = await client.embeddings.create({ model: 'mock/embed', input: ['same text', 'other'], encoding_format: 'float' });
    const b = await client.embeddings.create({ model: 'mock/embed', input: 'same text' }); // SDK asks for base64
    expect(a.data[0].embedding).toHaveLength(16);
    expect(b.data[0].embedding.map((x) => x.toFixed(5))).toEqual(a.data[0].embedding.map((x) => x.toFixed(5)));
    expect(a.data[1].embedding).not.toEqual(a.data[0].embedding);
    expect(Math.hypot(...a.data[0].embedding)).toBeCloseTo(1, 5);
    const small = await client.embeddings.create({ model: 'mock/embed', input: 'x', dimensions: 3, encoding_format: 'float' });
    expect(small.data[0].embedding).toHaveLength(3);
  });

  it('honours first-byte latency and per-chunk delay', async () => {
    const started = Date.now();
    const s = await client.chat.completions.create({ model: 'slow/echo', stream: true, messages: [{ role: 'user', content: 'a b c' }] });
    const times: number[] = [];
    for await (const c of s) if (c.choices[0]?.delta.content) times.push(Date.now() - started);
    // Lower bounds from the start only: a timer never fires early, while a loaded machine can
    // deliver one chunk late and the next on time, which shrinks any gap between two of them.
    // Each content word waits 40 ms after the 150 ms before the first byte (1 ms slack for timer rounding).
    expect(times[0]).toBeGreaterThanOrEqual(150 + 40 - 1);
    expect(times[2]).toBeGreaterThanOrEqual(150 + 3 * 40 - 3);
  });

  it('an unknown mock model is a 404 model_not_found', async () => {
    const err = await client.chat.completions.create({ model: 'mock/gpt-5', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('model_not_found');
  });
});
