import { describe, expect, it } from 'vitest';
import { NdjsonParser, UpstreamError } from '../core/index.js';

const STREAM = '{"a":1}\r\n\r\ndata: {"b":"two"}\n  [3, 4]  \nnull\ndata: [DONE]\n{"c":"héllo ✓"}';
const VALUES = [{ a: 1 }, { b: 'two' }, [3, 4], null, { c: 'héllo ✓' }];

function readAll(pieces: (string | Buffer)[], p = new NdjsonParser()): unknown[] {
  const out: unknown[] = [];
  for (const piece of pieces) out.push(...p.feed(piece));
  out.push(...p.end());
  return out;
}

describe('NdjsonParser (JSON lines)', () => {
  it('reads one value per line: CRLF, blank lines, data: prefixes, [DONE], a last line without newline', () => {
    expect(readAll([STREAM])).toEqual(VALUES);
  });

  it('gives the same values however the text is split', () => {
    for (let i = 0; i <= STREAM.length; i++) expect(readAll([STREAM.slice(0, i), STREAM.slice(i)])).toEqual(VALUES);
    expect(readAll([...STREAM])).toEqual(VALUES);
  });

  it('decodes bytes, a character split across reads included', () => {
    const bytes = Buffer.from(STREAM, 'utf8');
    for (let i = 0; i <= bytes.length; i++) expect(readAll([bytes.subarray(0, i), bytes.subarray(i)])).toEqual(VALUES);
  });

  it('holds a line back until its newline, and delivers each value once', () => {
    const p = new NdjsonParser();
    expect(p.feed('{"a":')).toEqual([]);
    expect(p.feed('1}\n{"b"')).toEqual([{ a: 1 }]);
    expect(p.feed(':2}\n')).toEqual([{ b: 2 }]);
    expect(p.end()).toEqual([]);
    expect(p.end()).toEqual([]);
  });

  it('a line that is not JSON throws a SyntaxError naming the sender and quoting the line (bounded)', () => {
    const p = new NdjsonParser({ source: 'Grok' });
    expect(() => p.feed('<html>Just a moment</html>\n')).toThrow(new SyntaxError('Grok sent a line that is not JSON: <html>Just a moment</html>'));
    const long = `x${'y'.repeat(500)}\n`;
    expect(() => new NdjsonParser().feed(long)).toThrow(`the upstream sent a line that is not JSON: x${'y'.repeat(199)}`);
    expect(() => new NdjsonParser().feed('{"cut":')).not.toThrow();
    const cut = new NdjsonParser();
    cut.feed('{"cut":');
    expect(() => cut.end()).toThrow(SyntaxError);
  });

  it('a line longer than maxLineChars without its newline is a malformed answer', () => {
    const p = new NdjsonParser({ maxLineChars: 10 });
    expect(p.feed('{"a":1}\n{"b":')).toEqual([{ a: 1 }]); // 5 pending: fine
    let err: unknown;
    try {
      p.feed('"0123456789"');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UpstreamError);
    expect((err as UpstreamError).malformed).toBe(true);
    expect((err as Error).message).toBe('the upstream sent a line over 10 characters');
    // a long line that does end is fine
    expect(new NdjsonParser({ maxLineChars: 10 }).feed(`{"long":"${'z'.repeat(50)}"}\n`)).toEqual([{ long: 'z'.repeat(50) }]);
  });
});
