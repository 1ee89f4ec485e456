/** The provider kit's small helpers, as plugins import them from core/index.ts. */
import { describe, expect, it } from 'vitest';
import {
  CallSignal,
  TimeoutSignal,
  UpstreamError,
  bearerHeaders,
  completionToChunks,
  credentialHeaders,
  finishChunk,
  headerValue,
  openaiModelList,
  upstreamErrorBody,
  usageChunk,
} from '../core/index.js';
import { renameModelField } from '../core/upstream/model-field.js';

describe('headerValue', () => {
  it('gives a single value as it is, the first of a repeated header, undefined for a missing one', () => {
    const h = { 'content-type': 'text/event-stream', 'set-cookie': ['a=1', 'b=2'], 'x-empty': undefined };
    expect(headerValue(h, 'content-type')).toBe('text/event-stream');
    expect(headerValue(h, 'set-cookie')).toBe('a=1');
    expect(headerValue(h, 'x-empty')).toBeUndefined();
    expect(headerValue(h, 'retry-after')).toBeUndefined();
    expect(headerValue(undefined, 'retry-after')).toBeUndefined();
  });
});

describe('upstreamErrorBody', () => {
  it('reads the OpenAI error object with its fields', () => {
    const body = JSON.stringify({ error: { message: 'Unknown model: x', type: 'invalid_request_error', param: 'model', code: 'unknown_model' } });
    expect(upstreamErrorBody(body)).toEqual({ message: 'Unknown model: x', type: 'invalid_request_error', param: 'model', code: 'unknown_model' });
  });

  it('accepts the close-enough shapes: error as a string, a top-level message or detail', () => {
    expect(upstreamErrorBody('{"error":"bad key"}')).toEqual({ message: 'bad key' });
    expect(upstreamErrorBody('  {"message":"slow down"}\n')).toEqual({ message: 'slow down' });
    expect(upstreamErrorBody('{"detail":"Not Found"}')).toEqual({ message: 'Not Found' });
  });

  it('turns HTML and plain text into a short message, and nothing into undefined', () => {
    expect(upstreamErrorBody('<html><body>502</body></html>')).toEqual({ message: 'the upstream answered with an HTML page' });
    expect(upstreamErrorBody('Too many\n  requests')).toEqual({ message: 'Too many requests' });
    expect(upstreamErrorBody('x'.repeat(500))?.message).toHaveLength(300);
    expect(upstreamErrorBody('{not json')).toEqual({ message: '{not json' });
    expect(upstreamErrorBody('')).toBeUndefined();
    expect(upstreamErrorBody('   ')).toBeUndefined();
    expect(upstreamErrorBody(undefined)).toBeUndefined();
  });
});

describe('CallSignal.timeout', () => {
  it('aborts with the message once the time is up', async () => {
    const s = CallSignal.timeout(20, 'model discovery timed out');
    expect(s).toBeInstanceOf(CallSignal);
    let heard = 0;
    s.addEventListener('abort', () => heard++);
    expect(s.aborted).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(s.aborted).toBe(true);
    expect((s.reason as Error).message).toBe('model discovery timed out');
    expect(heard).toBe(1);
    s.clear(); // after firing: harmless
  });

  it('clear() cancels it: the signal never aborts', async () => {
    const s = CallSignal.timeout(20, 'late');
    s.clear();
    s.clear();
    await new Promise((r) => setTimeout(r, 60));
    expect(s.aborted).toBe(false);
  });

  it('does not keep the process alive (its timer is unref-ed)', () => {
    const before = new Set(process.getActiveResourcesInfo());
    const s: TimeoutSignal = CallSignal.timeout(60_000, 'never');
    // An unref-ed timer is not listed among the resources that hold the event loop open.
    const timeouts = (list: string[]) => list.filter((r) => r === 'Timeout').length;
    expect(timeouts(process.getActiveResourcesInfo())).toBe(timeouts([...before]));
    s.clear();
  });

  it('can still be aborted by hand before the time is up', () => {
    const s = CallSignal.timeout(60_000, 'never');
    s.abort(new Error('client left'));
    expect((s.reason as Error).message).toBe('client left');
    s.clear();
  });
});

describe('chunk builders', () => {
  const base = { id: 'chatcmpl-1', created: 7, model: 'm' };

  it('finishChunk ends a choice with an empty delta', () => {
    expect(finishChunk(base, 'length')).toEqual({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm', choices: [{ index: 0, delta: {}, finish_reason: 'length' }] });
    expect(finishChunk(base, 'stop', 2).choices[0].index).toBe(2);
  });

  it('usageChunk has no choices, only the usage', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };
    const c = usageChunk(base, usage);
    expect(c).toEqual({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'm', choices: [], usage });
    // serialised in OpenAI's field order
    expect(Object.keys(c)).toEqual(['id', 'object', 'created', 'model', 'choices', 'usage']);
  });

  it('completionToChunks ends each choice and adds the usage chunk with the builders', () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    const chunks = completionToChunks(
      { id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage },
      true,
    );
    expect(chunks.slice(1)).toEqual([finishChunk({ id: 'c', created: 1, model: 'm' }, 'stop'), usageChunk({ id: 'c', created: 1, model: 'm' }, usage)]);
  });
});

describe('renameModelField', () => {
  const rename = (id: string) => `acme-${id}`;

  it('renames the model field in the text, leaving the rest byte for byte', () => {
    const text = '{"id":"c1","object":"chat.completion.chunk","created":5,"model":  "gpt-4o","choices":[{"index":0,"delta":{"content":"\\"model\\": \\"x\\""}}]}';
    expect(renameModelField(text, rename)).toBe(text.replace('"model":  "gpt-4o"', '"model":"acme-gpt-4o"'));
  });

  it('reads escaped ids, and leaves text without a model field or with an unchanged name alone', () => {
    expect(JSON.parse(renameModelField('{"model":"a\\/b"}', rename)).model).toBe('acme-a/b');
    const none = '{"id":"c1","choices":[]}';
    expect(renameModelField(none, rename)).toBe(none);
    const same = '{"model": "m"}';
    expect(renameModelField(same, (id) => id)).toBe(same);
  });
});

describe('credentialHeaders', () => {
  const key = { id: 'k1', secret: 'sk-secret' };

  it("adds the credential's own headers over the shared ones, built once per credential", () => {
    let built = 0;
    const headers = credentialHeaders({ 'content-type': 'application/json' }, (c) => (built++, { 'x-api-key': c.secret }));
    expect(headers(undefined)).toEqual({ 'content-type': 'application/json' });
    expect(headers(key)).toEqual({ 'content-type': 'application/json', 'x-api-key': 'sk-secret' });
    expect(headers(key)).toBe(headers(key));
    expect(built).toBe(1);
  });

  it('defaults to a Bearer token, as bearerHeaders', () => {
    expect(credentialHeaders({})(key)).toEqual({ authorization: 'Bearer sk-secret' });
    expect(bearerHeaders({ a: '1' })(key)).toEqual({ a: '1', authorization: 'Bearer sk-secret' });
  });
});

describe('openaiModelList', () => {
  it('reads an OpenAI listing and drops entries without an id', () => {
    const text = JSON.stringify({ object: 'list', data: [{ id: 'a', owned_by: 'x' }, { owned_by: 'y' }, null, { id: 'b' }] });
    expect(openaiModelList(text, 'application/json').map((m) => m.id)).toEqual(['a', 'b']);
    expect(openaiModelList('{"object":"list"}', 'application/json')).toEqual([]);
  });

  it('calls anything but a JSON object malformed', () => {
    expect(() => openaiModelList('<html>', 'text/html')).toThrow(UpstreamError);
    expect(() => openaiModelList('{"error":{"message":"no"}}', 'application/json')).toThrow(UpstreamError);
  });
});
