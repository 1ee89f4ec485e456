import { describe, expect, it } from 'vitest';
import { SseParser, type SseEvent } from '../core/upstream/sse-parser.js';

function parseAll(pieces: string[]): SseEvent[] {
  const p = new SseParser();
  const out: SseEvent[] = [];
  for (const piece of pieces) out.push(...p.feed(piece));
  out.push(...p.end());
  return out;
}

const STREAM = [
  ': keep-alive comment',
  'data: {"a":1}',
  '',
  'event: message',
  'data: {"b":',
  'data: 2}',
  '',
  'data:{"c":"no space after colon"}',
  '',
  'id: 7',
  'retry: 100',
  'data: [DONE]',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: undefined, data: '{"a":1}' },
  { event: 'message', data: '{"b":\n2}' },
  { event: undefined, data: '{"c":"no space after colon"}' },
  { event: undefined, data: '[DONE]' },
];

describe('SseParser', () => {
  it('parses comments, multi-line data, event names and ignores id/retry', () => {
    expect(parseAll([STREAM])).toEqual(EXPECTED);
  });

  it('gives the same events wherever the input is split', () => {
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(EXPECTED);
    }
  });

  it('survives one character per read', () => {
    expect(parseAll([...STREAM])).toEqual(EXPECTED);
  });

  it('accepts \\r\\n and lone \\r line endings, split anywhere', () => {
    for (const eol of ['\r\n', '\r']) {
      const text = STREAM.split('\n').join(eol);
      for (let i = 0; i <= text.length; i++) expect(parseAll([text.slice(0, i), text.slice(i)])).toEqual(EXPECTED);
    }
  });

  it('delivers a final event that lacks its blank line', () => {
    expect(parseAll(['data: {"x":1}\n\ndata: {"y":2}'])).toEqual([
      { event: undefined, data: '{"x":1}' },
      { event: undefined, data: '{"y":2}' },
    ]);
  });

  it('keeps multi-byte text intact (decoding happens before the parser)', () => {
    expect(parseAll(['data: {"t":"ünï', 'cødé ✓"}\n\n'])).toEqual([{ event: undefined, data: '{"t":"ünïcødé ✓"}' }]);
  });
});
