/**
 * Every error a client can meet, seen through the official client: the right status, the right
 * APIError subclass, the OpenAI envelope with the parameter named. Never HTML, never a stack.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { ONE_ATTEMPT, startSwitchboard, upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  const config = upstreamConfig(upstream.url, { server: { bodyLimit: 4096 } });
  (config.providers as object[]).push({ id: 'dead', plugin: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', models: ['gpt-4o-mini'], ...ONE_ATTEMPT });
  sb = await startSwitchboard(config);
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

const messages = [{ role: 'user' as const, content: 'hi' }];

async function failure(p: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpenAI.APIError);
  return err as InstanceType<typeof OpenAI.APIError>;
}

async function post(path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${sb.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), json: JSON.parse(text) as { error: Record<string, unknown> } };
}

describe('400 bad requests', () => {
  it('malformed JSON', async () => {
    const r = await post('/chat/completions', '{"model": "gpt-4o-mini", "messages": [');
    expect(r.status).toBe(400);
    expect(r.type).toMatch(/application\/json/);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json', param: null });
  });

  it('wrong type names the parameter', async () => {
    // @ts-expect-error: deliberately wrong
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages: 'hi' }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('messages');
    expect(err.code).toBe('invalid_type');
  });

  it('nested problems name the nested path', async () => {
    // @ts-expect-error: deliberately wrong
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'robot', content: 'x' }] }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.param).toBe('messages[0].role');
  });

  it('a missing parameter is named', async () => {
    const r = await post('/chat/completions', JSON.stringify({ messages }));
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ param: 'model', code: 'missing_required_parameter' });
  });

  it('out-of-range values are named', async () => {
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 7 }));
    expect(err.status).toBe(400);
    expect(err.param).toBe('temperature');
  });

  it('a body that is not an object', async () => {
    const r = await post('/chat/completions', '[1,2]');
    expect(r.status).toBe(400);
    expect(r.json.error.param).toBe('body');
  });

  it("the upstream's own 400 is passed through with its message", async () => {
    upstream.script({ kind: 'status', status: 400, body: { error: { message: 'max_tokens is too large', type: 'invalid_request_error', param: 'max_tokens', code: 'invalid_value' } } });
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 999999 }));
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect(err.message).toContain('max_tokens is too large');
    expect(err.param).toBe('max_tokens');
    // the client's mistake is not retried elsewhere
    expect(upstream.requests.filter((r) => r.body?.max_tokens === 999999)).toHaveLength(1);
  });
});

describe('401 authentication', () => {
  it('missing key', async () => {
    const bare = new OpenAI({ baseURL: sb.baseURL, apiKey: 'unused', maxRetries: 0, defaultHeaders: { authorization: null } });
    const err = await failure(bare.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.code).toBe('missing_api_key');
  });

  it('wrong key', async () => {
    const wrong = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-clienx', maxRetries: 0 });
    const err = await failure(wrong.chat.completions.create({ model: 'gpt-4o-mini', messages }));
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.code).toBe('invalid_api_key');
  });

  it('x-api-key works as well as Bearer', async () => {
    const res = await fetch(`${sb.baseURL}/models`, { headers: { 'x-api-key': 'sk-test-client' } });
    expect(res.status).toBe(200);
  });
});

describe('404', () => {
  it('unknown model: model_not_found, pointing at /v1/models', async () => {
    const err = await failure(client.chat.completions.create({ model: 'gpt-9-ultra', messages }));
    expect(err).toBeInstanceOf(OpenAI.NotFoundError);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    expect(err.message).toContain('/v1/models');
  });

  it('unknown URL is an envelope, not an HTML page', async () => {
    const r = await post('/chat/completion', '{}');
    expect(r.status).toBe(404);
    expect(r.json.error.message).toBe('Invalid URL (POST /v1/chat/completion)');
  });
});

describe('413 body too large', () => {
  it('rejects a body over server.bodyLimit', async () => {
    const err = await failure(client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x'.repeat(8000) }] }));
    expect(err.status).toBe(413);
    expect(err.code).toBe('request_too_large');
  });
});

describe('upstream failures', () => {
  it('502 when the upstream answers garbage', async () => {
    upstream.script({ kind: 'raw', contentType: 'text/html', pieces: ['<html><body>oops</body></html>'] });
    const err = await failure(client.chat.completions.create({ model: 'up/gpt-4o-mini', messages }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(502);
    expect(err.code).toBe('bad_upstream_response');
  });

  it('502 with the upstream message when it fails with 5xx', async () => {
    upstream.script({ kind: 'status', status: 500, body: { error: { message: 'The server had an error', type: 'server_error' } } });
    const err = await failure(client.chat.completions.create({ model: 'up/gpt-4o-mini', messages }));
    expect(err.status).toBe(502);
    expect(err.message).toContain('The server had an error');
  });

  it('503 when no upstream can be reached', async () => {
    const err = await failure(client.chat.completions.create({ model: 'dead/gpt-4o-mini', messages }));
    expect(err).toBeInstanceOf(OpenAI.InternalServerError);
    expect(err.status).toBe(503);
    expect(err.code).toBe('no_upstream_available');
  });

  it('504 when the upstream never answers (first-byte timeout)', async () => {
    upstream.script({ kind: 'hang' });
    const started = Date.now();
    const err = await failure(client.chat.completions.create({ model: 'up/gpt-4o-mini', messages }));
    expect(err.status).toBe(504);
    expect(err.code).toBe('upstream_timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });

  it('429 from the upstream reaches the client as RateLimitError with Retry-After', async () => {
    upstream.script({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    const err = await failure(client.chat.completions.create({ model: 'up/gpt-4o-mini', messages }));
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.headers?.get('retry-after')).toBe('7');
  });

  it('never leaks the upstream credential or a stack trace', async () => {
    upstream.script({ kind: 'status', status: 401, body: { error: { message: 'Incorrect API key provided: sk-upstream-secret-0123456789' } } });
    // gpt-4o: the 429 above benched the credential for gpt-4o-mini only (per-model scope)
    const r = await post('/chat/completions', JSON.stringify({ model: 'up/gpt-4o', messages }));
    expect(r.status).toBe(503);
    const text = JSON.stringify(r.json);
    expect(text).not.toContain('sk-upstream-secret-0123456789');
    expect(text).not.toMatch(/at .*\.ts:\d+/);
    expect(sb.logText()).not.toContain('sk-upstream-secret-0123456789');
  });
});

describe('503 while shutting down', () => {
  it('a request that arrives after shutdown began gets the envelope, not a bare 503', async () => {
    sb.app.switchboard.ready = false;
    try {
      const r = await post('/chat/completions', JSON.stringify({ model: 'gpt-4o-mini', messages }));
      expect(r.status).toBe(503);
      expect(r.json.error.code).toBe('not_ready');
    } finally {
      sb.app.switchboard.ready = true;
    }
  });
});
