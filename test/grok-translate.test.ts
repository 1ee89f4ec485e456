/**
 * Grok's NDJSON frames turned into OpenAI chunks, line by line, with frames as grok.com sends them.
 */
import { describe, expect, it } from 'vitest';
import { NdjsonParser as NdjsonLines } from '../core/index.js';
import { GrokInBandError, GrokTranslator, type ThinkingMode } from '../plugins/grok-web/translate.js';

const FRAMES = [
  '{"result":{"conversation":{"conversationId":"c1","title":"New chat","temporary":true}}}',
  '{"result":{"response":{"token":"Checking…","isThinking":true,"messageTag":"header","rolloutId":"Grok","responseId":"r1"}}}',
  '{"result":{"response":{"token":" done.","isThinking":true,"messageTag":"summary","responseId":"r1"}}}',
  '{"result":{"response":{"token":"Hello","isThinking":false,"isSoftStop":false,"messageTag":"final","responseId":"r1"}}}',
  '{"result":{"response":{"token":"<xaiArtifact id=\\"a\\">","isThinking":false,"messageTag":"final","responseId":"r1"}}}',
  '{"result":{"response":{"token":"{\\"tool\\":\\"web\\"}","isThinking":false,"messageTag":"tool_usage_card","responseId":"r1"}}}',
  '{"result":{"response":{"token":" world","isThinking":false,"messageTag":"final","responseId":"r1"}}}',
  '{"result":{"response":{"cardAttachment":{"jsonData":"{\\"id\\":\\"x1\\",\\"type\\":\\"render_file\\",\\"cardType\\":\\"generated_image_card\\",\\"image_chunk\\":{\\"imageUuid\\":\\"i1\\",\\"imageUrl\\":\\"users/u1/generated/i1/image.jpg\\",\\"progress\\":100,\\"moderated\\":false}}"},"messageTag":"final"}}}',
  '{"result":{"response":{"streamingImageGenerationResponse":{"imageIndex":1,"progress":50,"imageUrl":"users/u1/generated/i2/image.jpg","moderated":false}}}}',
  '{"result":{"response":{"streamingImageGenerationResponse":{"imageIndex":2,"progress":100,"imageUrl":"users/u1/generated/i3/image.jpg","moderated":true}}}}',
  '{"result":{"response":{"modelResponse":{"responseId":"r1","message":"Hello world","sender":"ASSISTANT","parentResponseId":"u1","generatedImageUrls":[]}}}}',
  '{"result":{"response":{"finalMetadata":{"followUpSuggestions":[],"feedbackLabels":[],"toolsUsed":{}}}}}',
  '{"result":{"title":{"newTitle":"Greeting"}}}',
];

function run(thinking: ThinkingMode, frames = FRAMES) {
  const t = new GrokTranslator(
    { id: 'chatcmpl-1', created: 1, model: 'grok-3' },
    { thinking, filteredTags: ['xaiartifact', 'xai:tool_usage_card', 'grok:render'] },
  );
  const lines = new NdjsonLines();
  const chunks = frames.flatMap((f) => lines.feed(`${f}\n`)).flatMap((f) => t.frame(f));
  return { t, chunks: [...chunks, ...t.finish(t.images.map((p) => `https://assets.example/${p}`))] };
}

const deltas = (chunks: { choices: { delta: Record<string, unknown>; finish_reason: string | null }[] }[]) => chunks.map((c) => c.choices[0].delta);

describe('Grok NDJSON -> OpenAI chunks', () => {
  it('answer tokens become content, thinking becomes reasoning_content, markup is dropped, images close the answer', () => {
    const { t, chunks } = run('reasoning_content');
    expect(deltas(chunks)).toEqual([
      { reasoning_content: 'Checking…' },
      { reasoning_content: ' done.' },
      { content: 'Hello' },
      { content: ' world' },
      { content: '\n\n![image](https://assets.example/users/u1/generated/i1/image.jpg)' },
      {},
    ]);
    expect(chunks.at(-1)!.choices[0].finish_reason).toBe('stop');
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'grok-3' && c.id === 'chatcmpl-1')).toBe(true);
    expect(t.done).toBe(true); // finalMetadata ended the answer
    // only the finished, unmoderated image counts
    expect(t.images).toEqual(['users/u1/generated/i1/image.jpg']);
  });

  it('thinking: inline wraps the thoughts in <think> inside content', () => {
    const { chunks } = run('inline');
    const text = deltas(chunks).map((d) => d.content ?? '').join('');
    expect(text.startsWith('<think>\nChecking… done.\n</think>\nHello world')).toBe(true);
    expect(deltas(chunks).some((d) => 'reasoning_content' in d)).toBe(false);
  });

  it('thinking: hide drops the thoughts', () => {
    const { t, chunks } = run('hide');
    expect(deltas(chunks).map((d) => d.content ?? '').join('')).toBe('Hello world\n\n![image](https://assets.example/users/u1/generated/i1/image.jpg)');
    expect(t.reasoning).toBe('Checking… done.'); // still known, just not sent
  });

  it('an answer that came only as modelResponse is still given', () => {
    const { chunks } = run('hide', [FRAMES[0], FRAMES[10], FRAMES[11]]);
    expect(deltas(chunks)).toEqual([{ content: 'Hello world' }, {}]);
  });

  it('an in-band error, at the top level or in the response, throws with its code', () => {
    const t = new GrokTranslator({ id: 'x', created: 1, model: 'm' }, { thinking: 'hide', filteredTags: [] });
    expect(() => t.frame({ error: { message: 'Request rejected by anti-bot rules.', code: 7, details: [] } })).toThrow(GrokInBandError);
    try {
      t.frame({ result: { response: { error: { code: 8, message: 'Too many requests' } } } });
    } catch (e) {
      expect((e as GrokInBandError).code).toBe(8);
    }
  });

  it('reads lines split anywhere, data: prefixes and [DONE]', () => {
    const lines = new NdjsonLines();
    const text = `data: ${FRAMES[3]}\n${FRAMES[6]}\ndata: [DONE]\n`;
    const frames = [...lines.feed(text.slice(0, 17)), ...lines.feed(text.slice(17, 90)), ...lines.feed(text.slice(90)), ...lines.end()];
    expect(frames).toHaveLength(2);
    expect(() => new NdjsonLines().feed('<html>Just a moment</html>\n')).toThrow(SyntaxError);
  });
});
