/**
 * Token counts read off a raw answer's text (the stats and the access log take them from there,
 * without parsing the answer): the same figures a JSON parse would give, for how upstreams write
 * `usage` (compact or pretty, extra fields, details objects, null, missing counts).
 */
import { describe, expect, it } from 'vitest';
import { usageOf } from '../core/canonical/usage.js';
import { RawChatChunk, RawJson } from '../core/contract/raw.js';

const raw = (text: string) => usageOf(new RawJson(text));

describe('usage from a raw answer', () => {
  it('reads the counts as written, compact or pretty, with details and other fields around them', () => {
    expect(raw('{"id":"x","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34,"total_tokens":46}}')).toEqual({ promptTokens: 12, completionTokens: 34 });
    expect(raw('{\n  "usage": {\n    "prompt_tokens" :\t7,\r\n    "completion_tokens": 0\n  }\n}\n')).toEqual({ promptTokens: 7, completionTokens: 0 });
    expect(
      raw('{"usage":{"prompt_tokens_details":{"cached_tokens":5},"completion_tokens_details":{"reasoning_tokens":9},"prompt_tokens":100,"completion_tokens":200}}'),
    ).toEqual({ promptTokens: 100, completionTokens: 200 });
    expect(usageOf(new RawChatChunk('{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}'))).toEqual({ promptTokens: 3, completionTokens: 4 });
  });

  it('takes the last usage object, and a count missing its completion as 0', () => {
    // a message that talks about usage, then the answer's own
    const text = '{"choices":[{"message":{"content":"\\"usage\\": {\\"prompt_tokens\\": 999}"}}],"usage":{"prompt_tokens":5}}';
    expect(JSON.parse(text).usage).toEqual({ prompt_tokens: 5 });
    expect(raw(text)).toEqual({ promptTokens: 5, completionTokens: 0 });
  });

  it('has none without a usage object, with usage null, or with counts that are not numbers', () => {
    expect(raw('{"id":"x","choices":[]}')).toBeUndefined();
    expect(raw('{"id":"x","usage":null}')).toBeUndefined();
    expect(raw('{"usage":{"prompt_tokens":"12","completion_tokens":3}}')).toBeUndefined();
    expect(raw('{"usage":{"prompt_tokens":')).toBeUndefined();
  });

  it('agrees with a JSON parse on 500 seeded random answers', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const ws = () => [' ', '\n', '\t', '\r\n', ''][Math.floor(rnd() * 5)];
    for (let i = 0; i < 500; i++) {
      const fields: [string, unknown][] = [];
      if (rnd() < 0.9) fields.push(['prompt_tokens', Math.floor(rnd() * 1e6)]);
      if (rnd() < 0.8) fields.push(['completion_tokens', Math.floor(rnd() * 1e6)]);
      if (rnd() < 0.5) fields.push(['total_tokens', Math.floor(rnd() * 1e6)]);
      if (rnd() < 0.4) fields.push(['prompt_tokens_details', { cached_tokens: Math.floor(rnd() * 100) }]);
      fields.sort(() => rnd() - 0.5);
      const usage = `{${fields.map(([k, v]) => `${ws()}"${k}"${ws()}:${ws()}${JSON.stringify(v)}`).join(',')}${ws()}}`;
      const text = `{"id":"chatcmpl-${i}","choices":[{"message":{"content":"n=${i}"}}],${ws()}"usage"${ws()}:${ws()}${usage}${ws()}}`;
      const parsed = JSON.parse(text).usage as { prompt_tokens?: number; completion_tokens?: number };
      const want = parsed.prompt_tokens === undefined ? undefined : { promptTokens: parsed.prompt_tokens, completionTokens: parsed.completion_tokens ?? 0 };
      expect(raw(text), text).toEqual(want);
    }
  });
});
