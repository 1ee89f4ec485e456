/**
 * Bodies an attacker (or a buggy client) sends: nested far too deep, poisoned with `__proto__`,
 * legacy fields of the wrong type; and what happens when a provider's own code throws while it
 * builds the upstream request. None of it may count against a credential or open a breaker.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH } from '../core/http/json-body.js';
import { defaultReply, splitForStream, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
const ADMIN = 'sk-admin-hostile-0123456789';

let upstream: FakeOpenAI;
let sb: RunningSwitchboard;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  // Retries and a breaker that opens after two transient failures: exactly what a misclassified
  // local exception used to trip.
  const resilience = { retry: { attempts: 3, initialDelayMs: 1, maxDelayMs: 2 }, breaker: { consecutiveFailures: 2 }, timeouts: { firstByteMs: 5000, idleMs: 5000, totalMs: 10000 } };
  sb = await startSwitchboard(
    {
      auth: { apiKeys: ['sk-test-client'], adminKey: ADMIN },
      plugins: { 'token-admin': {} },
      providers: [
        { id: 'up', plugin: 'openai-compatible', baseUrl: upstream.url, apiKey: 'sk-upstream-secret-0123456789', ...resilience },
        { id: 'fragile', plugin: './fragile-provider.ts', baseUrl: upstream.url, apiKey: 'sk-fragile-secret-0123456789', ...resilience },
      ],
      models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
    },
    { dir: fixtures },
  );
  client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
});
afterAll(async () => {
  await sb?.close();
  await upstream?.close();
});

async function post(path: string, body: string) {
  const res = await fetch(`${sb.baseURL}${path}`, { method: 'POST', headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' }, body });
  return { status: res.status, json: (await res.json()) as { error: { message: string; type: string; param: string | null; code: string | null } } };
}

async function stats(provider: string) {
  const res = await fetch(`${sb.origin}/v1/tokens/stats?provider=${provider}`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return (await res.json()) as { tokens: Record<string, unknown>[]; providers: { id: string; breakers: Record<string, unknown> }[] };
}

/** The credential did nothing wrong and no breaker is open or half-open. */
async function expectNobodyBlamed(provider: string) {
  const s = await stats(provider);
  expect(s.tokens[0]).toMatchObject({ failures: 0, failuresByKind: {}, consecutiveFailures: 0, lastError: null, cooldownReason: null });
  expect(s.providers.find((p) => p.id === provider)?.breakers).toEqual({});
}

const chatRequests = () => upstream.requests.filter((r) => r.path === '/v1/chat/completions').length;

/** `{"model":...,"messages":[...],"<field>":[[[...]]]}` nested `levels` arrays deep. */
function deepBody(field: string, levels: number): string {
  return `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"${field}":${'['.repeat(levels)}${']'.repeat(levels)}}`;
}

describe('the body is checked once at the front door', () => {
  it('regression: 20,000 nested arrays in an unknown field are a 400 naming the field, and never reach the provider', async () => {
    const before = chatRequests();
    for (let i = 0; i < 3; i++) {
      const r = await post('/chat/completions', deepBody('foo', 20_000)); // 40 KB
      expect(r.status).toBe(400);
      expect(r.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value' });
      expect(r.json.error.param).toBe(`foo${'[0]'.repeat(MAX_JSON_DEPTH - 1)}`); // the first value past the limit
      expect(r.json.error.message).toContain(`nested more than ${MAX_JSON_DEPTH} levels deep`);
    }
    expect(chatRequests()).toBe(before);
    await expectNobodyBlamed('up');
    const ok = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'still there?' }] });
    expect(ok.choices[0].message.content).toContain('still there?');
  });

  it('a body at the depth limit passes; one level more is refused (also on the legacy and embeddings doors)', async () => {
    // the body is level 1, `foo`'s outer array level 2
    expect((await post('/chat/completions', deepBody('foo', MAX_JSON_DEPTH - 1))).status).toBe(200);
    const over = await post('/chat/completions', deepBody('foo', MAX_JSON_DEPTH));
    expect(over.status).toBe(400);
    for (const path of ['/completions', '/embeddings']) {
      const r = await post(path, `{"model":"gpt-4o-mini","bar":{"x":${'['.repeat(100)}${']'.repeat(100)}}}`);
      expect(r.status).toBe(400);
      expect(r.json.error.param).toMatch(/^bar\.x(\[0\])+$/);
    }
  });

  it('regression: __proto__ and constructor.prototype keys are refused with a 400 that says why, not "not valid JSON"', async () => {
    const proto = await post('/chat/completions', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi","__proto__":{"isAdmin":true}}]}');
    expect(proto.status).toBe(400);
    expect(proto.json.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_value', param: 'messages[0].__proto__' });
    expect(proto.json.error.message).toContain("may not contain '__proto__' keys");
    expect(proto.json.error.message).not.toContain('not valid JSON');

    const ctor = await post('/chat/completions', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"constructor":{"prototype":{"x":1}}}');
    expect(ctor.status).toBe(400);
    expect(ctor.json.error).toMatchObject({ code: 'invalid_value', param: 'constructor' });
    expect(ctor.json.error.message).toContain("'constructor.prototype'");

    // a `constructor` field that is not a prototype carrier is ordinary data
    expect((await post('/chat/completions', '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"metadata":{"constructor":"ok"}}')).status).toBe(200);
  });

  it('broken JSON is still "not valid JSON"', async () => {
    const r = await post('/chat/completions', '{"model":');
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ code: 'invalid_json', param: null });
  });
});

describe("an exception of Switchboard's own making is nobody's failure", () => {
  const ask = (content: string) => post('/chat/completions', JSON.stringify({ model: 'fragile/gpt-4o-mini', messages: [{ role: 'user', content }] }));

  it('regression: RangeError (JSON.stringify too deep), URIError (bad data URL), TypeError while building the request: 500, no retry, no blame, breaker closed', async () => {
    const before = chatRequests();
    for (const content of ['too deep', 'data:image/png,%zz', 'bad header']) {
      for (let i = 0; i < 3; i++) {
        const r = await ask(content);
        expect(r.status).toBe(500);
        expect(r.json.error).toMatchObject({ type: 'server_error', code: 'internal_error' });
        expect(r.json.error.message).toMatch(/upstream "fragile" \(model gpt-4o-mini\): an internal error \((RangeError|URIError|TypeError)\)/);
      }
    }
    expect(chatRequests()).toBe(before); // nothing was sent, nothing was retried
    await expectNobodyBlamed('fragile');
    // the next good request goes through: no 503 circuit_open
    const ok = await ask('and now?');
    expect(ok.status).toBe(200);
    // logged with its stack, the credential scrubbed from it
    expect(sb.logText()).not.toContain('sk-fragile-secret');
    expect(sb.logText()).toContain('Invalid character in header content: [redacted]');
    expect(sb.logs.some((l) => l.msg === 'unhandled error' && JSON.stringify(l.err).includes('URIError'))).toBe(true);
  });

  it('regression: a TypeError after the first chunk ends the stream with internal_error and blames nobody', async () => {
    const stream = await client.chat.completions.create({ model: 'fragile/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'break mid-stream' }] });
    const got: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) got.push(chunk.choices[0]?.delta?.content ?? '');
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpenAI.APIError);
    expect((err as InstanceType<typeof OpenAI.APIError>).code).toBe('internal_error');
    // the two chunks before the bug (the role, the fake's first piece) reached the client
    expect(got.join('')).toBe(splitForStream(defaultReply({ messages: [{ role: 'user', content: 'break mid-stream' }] }))[0]);
    await expectNobodyBlamed('fragile');
  });
});

describe('legacy /v1/completions is validated as strictly as chat', () => {
  const legacy = (extra: Record<string, unknown>) => post('/completions', JSON.stringify({ model: 'gpt-4o-mini', prompt: 'Say hi', ...extra }));

  it.each([
    [{ logprobs: 'x' }, 'logprobs'],
    [{ logprobs: 6 }, 'logprobs'],
    [{ logprobs: -1 }, 'logprobs'],
    [{ logprobs: 1.5 }, 'logprobs'],
    [{ echo: 'yes' }, 'echo'],
    [{ suffix: 3 }, 'suffix'],
    [{ best_of: 'one' }, 'best_of'],
    [{ best_of: 1.5 }, 'best_of'],
    [{ temperature: 'hot' }, 'temperature'],
    [{ presence_penalty: 9 }, 'presence_penalty'],
    [{ frequency_penalty: 'x' }, 'frequency_penalty'],
    [{ seed: 'x' }, 'seed'],
    [{ logit_bias: 'x' }, 'logit_bias'],
    [{ user: 5 }, 'user'],
    [{ max_tokens: 0 }, 'max_tokens'],
    [{ stream_options: { include_usage: 'yes' } }, 'stream_options.include_usage'],
  ])('regression: %j is a 400 naming %s', async (extra, param) => {
    const r = await legacy(extra);
    expect(r.status).toBe(400);
    expect(r.json.error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('well-typed legacy fields are accepted', async () => {
    const r = await legacy({ logprobs: 0, echo: false, suffix: null, best_of: 1, seed: 1, presence_penalty: 0.5, logit_bias: { '50256': -100 } });
    expect(r.status).toBe(200);
    const nulls = await legacy({ logprobs: null, echo: null, suffix: 'x', best_of: null });
    expect(nulls.status).toBe(200);
  });
});
