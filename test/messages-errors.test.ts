/**
 * Errors on `/v1/messages` as the official Anthropic SDK sees them: Anthropic's envelope and
 * statuses, so each arrives as its typed error; a failure after the first byte ends the stream
 * with an `error` event the SDK throws on, never a clean `message_stop`.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { upstreamConfig, type RunningSwitchboard } from './helpers/switchboard.js';

const fake = useFakeOpenAI({ apiKey: 'sk-upstream-secret-0123456789' });
const sbs = useSwitchboards();

async function start(provider: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Promise<{ sb: RunningSwitchboard; client: Anthropic }> {
  const config = upstreamConfig(fake.up.url, extra);
  const [up] = config.providers as Record<string, unknown>[];
  config.providers = [{ ...up, ...provider }];
  config.models = { 'claude-sonnet-4-5': 'up/gpt-4o-mini' };
  const sb = await sbs.start(config);
  return { sb, client: new Anthropic({ baseURL: sb.origin, apiKey: 'sk-test-client', maxRetries: 0 }) };
}

const ask = { model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user' as const, content: 'hi' }] };

async function failure(p: Promise<unknown>): Promise<InstanceType<typeof Anthropic.APIError>> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(Anthropic.APIError);
  return err as InstanceType<typeof Anthropic.APIError>;
}

/** The SDK's error body: Anthropic's envelope. */
const typeOf = (e: InstanceType<typeof Anthropic.APIError>) => (e.error as { type: string; error: { type: string; message: string } });

describe('typed errors', () => {
  it('a wrong or missing key is an AuthenticationError', async () => {
    const { sb } = await start();
    const wrong = new Anthropic({ baseURL: sb.origin, apiKey: 'sk-wrong', maxRetries: 0 });
    const e = await failure(wrong.messages.create(ask));
    expect(e).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(typeOf(e)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const res = await fetch(`${sb.origin}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ask) });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { type: string } }).error.type).toBe('authentication_error');
  });

  it("the upstream's 429 is a RateLimitError with its retry-after", async () => {
    const { client } = await start();
    fake.up.script({ kind: 'status', status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    const e = await failure(client.messages.create(ask));
    expect(e).toBeInstanceOf(Anthropic.RateLimitError);
    expect(e.headers?.get('retry-after')).toBe('7');
    expect(typeOf(e).error.type).toBe('rate_limit_error');
  });

  it('an unknown model is a NotFoundError', async () => {
    const { client } = await start();
    const e = await failure(client.messages.create({ ...ask, model: 'claude-nonexistent' }));
    expect(e).toBeInstanceOf(Anthropic.NotFoundError);
    expect(typeOf(e).error).toMatchObject({ type: 'not_found_error', message: expect.stringContaining('claude-nonexistent') });
  });

  it('a body over server.bodyLimit is a 413 request_too_large', async () => {
    const { client } = await start({}, { server: { bodyLimit: 2048 } });
    const e = await failure(client.messages.create({ ...ask, messages: [{ role: 'user', content: 'x'.repeat(4096) }] }));
    expect(e.status).toBe(413);
    expect(typeOf(e).error.type).toBe('request_too_large');
  });

  it('an upstream 5xx is an InternalServerError (api_error)', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'status', status: 500 });
    const e = await failure(client.messages.create(ask));
    expect(e).toBeInstanceOf(Anthropic.InternalServerError);
    expect(e.status).toBe(502);
    expect(typeOf(e).error.type).toBe('api_error');
  });

  it('an open circuit breaker is a 529 OverloadedError with retry-after', async () => {
    const { client } = await start({ breaker: { consecutiveFailures: 1, halfOpenAfterMs: 60_000 } });
    fake.up.script({ kind: 'status', status: 500 });
    await failure(client.messages.create(ask));
    const e = await failure(client.messages.create(ask));
    expect(e.status).toBe(529);
    expect(typeOf(e).error.type).toBe('overloaded_error');
    expect(e.headers?.get('retry-after')).toMatch(/^\d+$/);
  });

  it('an upstream that never answers is a 504 timeout_error', async () => {
    const { client } = await start({ timeouts: { firstByteMs: 200, idleMs: 2000, totalMs: 10_000 } });
    fake.up.script({ kind: 'hang' });
    const e = await failure(client.messages.create(ask));
    expect(e.status).toBe(504);
    expect(typeOf(e).error.type).toBe('timeout_error');
  });
});

describe('bad input is a 400 invalid_request_error naming the field', () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['max_tokens missing', { model: 'claude-sonnet-4-5', messages: ask.messages }, /'max_tokens'/],
    ['messages not an array', { ...ask, messages: 'hi' }, /'messages'/],
    ['a role Anthropic has not', { ...ask, messages: [{ role: 'tool', content: 'x' }] }, /'messages\[0\]\.role'/],
    ['an unknown block type', { ...ask, messages: [{ role: 'user', content: [{ type: 'video' }] }] }, /messages\[0\]\.content\[0\]\.type: 'video' blocks/],
    ['an image without its data', { ...ask, messages: [{ role: 'user', content: [{ type: 'text', text: 'x' }, { type: 'image', source: { type: 'base64', media_type: 'image/png' } }] }] }, /'messages\[0\]\.content\[1\]\.source\.data'/],
    ['a tool_choice naming no tool', { ...ask, tool_choice: { type: 'tool' } }, /'tool_choice\.name'/],
    ['temperature out of range', { ...ask, temperature: 1.5 }, /'temperature'/],
    ['a document block', { ...ask, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }] }] }, /^messages\[0\]\.content\[0\]: 'document' blocks/],
  ];
  it.each(cases)('%s', async (_name, body, message) => {
    const { client } = await start();
    const e = await failure(client.messages.create(body as never));
    expect(e).toBeInstanceOf(Anthropic.BadRequestError);
    expect(typeOf(e).error.type).toBe('invalid_request_error');
    expect(typeOf(e).error.message).toMatch(message);
    expect(fake.up.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
  });

  it('invalid JSON', async () => {
    const { sb } = await start();
    const res = await fetch(`${sb.origin}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client', 'content-type': 'application/json' }, body: '{"model":' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringContaining('not valid JSON') } });
  });
});

describe('failures after the first byte', () => {
  it('a cut upstream makes the SDK stream throw, not end cleanly', async () => {
    const { client } = await start();
    fake.up.script({ kind: 'cut-after', chunks: 3 });
    const stream = client.messages.stream(ask);
    const text: string[] = [];
    stream.on('text', (t) => text.push(t));
    const e = await failure(stream.finalText());
    expect(text.length).toBeGreaterThan(0); // the client saw part of the answer first
    expect(typeOf(e)).toMatchObject({ type: 'error', error: { type: 'api_error' } });
  });

  it('on the wire: the last event is `event: error` with the envelope, and no message_stop', async () => {
    const { sb } = await start();
    fake.up.script({ kind: 'cut-after', chunks: 3 });
    const res = await fetch(`${sb.origin}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client', 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, stream: true }) });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    expect(events.some((e) => e.startsWith('event: message_stop'))).toBe(false);
    const last = events.at(-1)!.split('\n');
    expect(last[0]).toBe('event: error');
    expect(JSON.parse(last[1].slice('data: '.length))).toMatchObject({ type: 'error', error: { type: 'api_error', message: expect.any(String) } });
  });
});

describe('shutdown', () => {
  it('ends an open stream with an error event (api_error, server_shutting_down), not message_stop', async () => {
    const { sb } = await start();
    fake.up.script({ kind: 'drip', delayMs: 200 });
    const res = await fetch(`${sb.origin}/v1/messages`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client', 'content-type': 'application/json' }, body: JSON.stringify({ ...ask, stream: true }) });
    const reader = res.body!.getReader();
    const first = await reader.read(); // committed: message_start is out
    expect(first.done).toBe(false);
    const stopped = sb.app.switchboard.drain.stopAll();
    let text = new TextDecoder().decode(first.value);
    for (let r = await reader.read(); !r.done; r = await reader.read()) text += new TextDecoder().decode(r.value);
    await stopped;
    expect(text).toMatch(/event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"[^"]*shut/);
    expect(text).not.toContain('event: message_stop');
  });
});

describe('paths', () => {
  it('an unknown path under /v1/messages is a NotFoundError in the same envelope', async () => {
    const { sb } = await start();
    const res = await fetch(`${sb.origin}/v1/messages/nope?beta=true`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'Invalid URL (POST /v1/messages/nope)' } });
  });

  it('errors raised before a route runs (a URL that does not decode) use the envelope too', async () => {
    const { sb } = await start();
    const res = await fetch(`${sb.origin}/v1/messages/%zz`, { method: 'POST', headers: { 'x-api-key': 'sk-test-client' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });
});
