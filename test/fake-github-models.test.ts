/** The GitHub Models fake speaks the protocol the real service speaks, as recorded in its reference. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  githubReply,
  rateLimitMessage,
  startFakeGitHubModels,
  TOO_MANY_REQUESTS_TEXT,
  type FakeGitHubModels,
} from './fakes/github-models.js';

let gh: FakeGitHubModels;
beforeAll(async () => {
  gh = await startFakeGitHubModels({ tokens: ['ghp_alpha', 'ghp_beta', 'ghp_gamma'] });
});
afterAll(() => gh?.close());
beforeEach(() => gh.clear());

const messages = [{ role: 'user', content: 'hello there friend' }];

function post(path: string, body: object, token = 'ghp_alpha'): Promise<Response> {
  return fetch(`${gh.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}
const chat = (body: object, token?: string) => post('/inference/chat/completions', { model: 'openai/gpt-4o-mini', messages, ...body }, token);

/** The `data:` payloads of an SSE body, in order. */
const sse = (text: string) =>
  text.split('\n\n').filter(Boolean).map((e) => {
    expect(e.startsWith('data: ')).toBe(true);
    return e.slice(6);
  });

describe('fake GitHub Models', () => {
  it('serves a catalog with every field the reference lists', async () => {
    const res = await fetch(`${gh.url}/catalog/models`);
    expect(res.status).toBe(200);
    const items = (await res.json()) as Record<string, unknown>[];
    expect(items.map((m) => m.id)).toEqual(
      expect.arrayContaining(['openai/gpt-4o-mini', 'openai/gpt-4.1', 'openai/o3-mini', 'meta/llama-3.3-70b-instruct', 'openai/text-embedding-3-small']),
    );
    for (const m of items) {
      expect(Object.keys(m)).toEqual([
        'id', 'name', 'publisher', 'registry', 'summary', 'html_url', 'version', 'capabilities', 'limits',
        'rate_limit_tier', 'supported_input_modalities', 'supported_output_modalities', 'tags',
      ]);
    }
    const emb = items.find((m) => m.id === 'openai/text-embedding-3-small')!;
    expect(emb.limits).toEqual({ max_input_tokens: 8191, max_output_tokens: null });
    expect(emb.rate_limit_tier).toBe('embeddings');
  });

  it('answers a non-stream chat with the Azure extras and the rate-limit headers', async () => {
    const res = await fetch(`${gh.url}/inference/chat/completions?api-version=2024-05-01-preview`, {
      method: 'POST',
      headers: { authorization: 'Bearer ghp_beta', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'openai/gpt-4.1', messages }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, any>;
    expect(body.model).toBe('gpt-4.1-2025-04-14');
    expect(body.object).toBe('chat.completion');
    expect(body.service_tier).toBe('default');
    expect(body.system_fingerprint).toMatch(/^fp_/);
    expect(body.prompt_filter_results[0].content_filter_results.jailbreak).toEqual({ detected: false, filtered: false });
    const choice = body.choices[0];
    expect(choice.message).toEqual({ annotations: [], content: githubReply({ messages }), refusal: null, role: 'assistant' });
    expect(choice.content_filter_results.violence).toEqual({ filtered: false, severity: 'safe' });
    expect(choice.finish_reason).toBe('stop');
    expect(body.usage.completion_tokens_details.reasoning_tokens).toBe(0);
    expect(body.usage.prompt_tokens_details).toEqual({ audio_tokens: 0, cached_tokens: 0 });
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens);

    const h = res.headers;
    expect(h.get('x-ratelimit-key')).toBe('openai/gpt-4.1');
    expect(h.get('x-ratelimit-renewalperiod-requests')).toBe('60');
    expect(h.get('x-ratelimit-renewalperiod-tokens')).toBe('60');
    expect(h.get('x-ratelimit-abusepenalty-active')).toBe('False');
    for (const name of ['x-ratelimit-limit-tokens', 'x-ratelimit-remaining-tokens', 'x-ratelimit-reset-requests', 'x-ratelimit-reset-tokens', 'x-ms-region', 'apim-request-id', 'x-github-request-id']) {
      expect(h.get(name), name).toBeTruthy();
    }
    // the bare id reaches the same model and its counter goes down for this token+model
    const again = await post('/inference/chat/completions', { model: 'gpt-4.1', messages }, 'ghp_beta');
    await again.text();
    expect(Number(again.headers.get('x-ratelimit-remaining-requests'))).toBe(Number(h.get('x-ratelimit-remaining-requests')) - 1);
    expect(gh.requests.at(-2)!.query).toEqual({ 'api-version': '2024-05-01-preview' });
  });

  it('streams the events in the reference order', async () => {
    const res = await chat({ stream: true, stream_options: { include_usage: true } });
    expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(res.headers.get('x-ratelimit-key')).toBe('openai/gpt-4o-mini');
    const events = sse(await res.text());
    expect(events.at(-1)).toBe('[DONE]');
    expect(events[0]).toMatch(/^\{"choices":\[\],"created":0,"id":"","model":"","object":"","prompt_filter_results":\[/);
    expect(events[1]).toContain('"delta":{"content":"","refusal":null,"role":"assistant"}');
    const chunks = events.slice(1, -1).map((e) => JSON.parse(e) as Record<string, any>);
    const usageChunk = chunks.pop()!;
    const finish = chunks.pop()!;
    const deltas = chunks.slice(1);
    expect(deltas.length).toBeGreaterThan(1);
    for (const d of deltas) {
      expect(d.usage).toBeNull();
      expect(typeof d.obfuscation).toBe('string');
      expect(d.obfuscation.length).toBeGreaterThan(0);
      expect(d.model).toBe('gpt-4o-mini-2024-07-18');
    }
    expect(deltas.map((d) => d.choices[0].delta.content).join('')).toBe(githubReply({ messages }));
    expect(finish.choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(usageChunk.choices).toEqual([]);
    expect(usageChunk.usage.completion_tokens).toBe(deltas.length);

    const plain = sse(await (await chat({ stream: true })).text());
    expect(plain.length).toBe(events.length - 1);
    expect(JSON.parse(plain.at(-2)!).choices[0].finish_reason).toBe('stop');
  });

  it('answers a scripted daily limit with the daily JSON body and headers', async () => {
    gh.limit('ghp_alpha', { type: 'day', model: 'gpt-4o-mini', waitSeconds: 5631, limit: 50, count: 1 });
    const other = await chat({ model: 'openai/gpt-4.1' });
    expect(other.status).toBe(200);
    await other.text();
    const res = await chat({});
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('5631');
    expect(res.headers.get('x-ratelimit-timeremaining')).toBe('5631');
    expect(res.headers.get('x-ratelimit-type')).toBe('UserByModelByDay');
    expect(res.headers.get('x-ms-error-code')).toBe('RateLimitReached');
    const text = 'Rate limit of 50 per 86400s exceeded for UserByModelByDay. Please wait 5631 seconds before retrying.';
    expect(rateLimitMessage('day', 50, 5631)).toBe(text);
    expect(await res.json()).toEqual({ error: { code: 'RateLimitReached', message: text, details: text } });
    const after = await chat({});
    expect(after.status).toBe(200); // count: 1 used up
    await after.text();
  });

  it('sends the plain-text 429 under a JSON content type', async () => {
    gh.limit('ghp_gamma', { type: 'minute', body: 'text' });
    const res = await chat({}, 'ghp_gamma');
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-ratelimit-type')).toBe('UserByModelByMinute');
    const text = await res.text();
    expect(text).toBe(TOO_MANY_REQUESTS_TEXT);
    expect(() => JSON.parse(text)).toThrow();
    expect((await chat({}, 'ghp_alpha')).status).toBe(200);
  });

  it('refuses an unknown or missing token with the unauthorized body', async () => {
    const res = await chat({}, 'ghp_nope');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'unauthorized', message: 'The `models` permission is required to access this endpoint' } });
    const none = await fetch(`${gh.url}/inference/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'gpt-4o-mini', messages }) });
    expect(none.status).toBe(401);
    expect(gh.tokensSeen().slice(-2)).toEqual(['ghp_nope', '']);
  });

  it('rejects max_tokens on o3-mini and unknown models', async () => {
    const res = await chat({ model: 'openai/o3-mini', max_tokens: 50 });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: {
        message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
        type: 'invalid_request_error',
        param: 'max_tokens',
        code: 'unsupported_parameter',
      },
    });
    expect((await chat({ model: 'openai/o3-mini', max_completion_tokens: 50 })).status).toBe(200);
    const unknown = await chat({ model: 'acme/nothing' });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: { code: 'unknown_model', message: 'Unknown model: acme/nothing' } });
  });

  it('serves the org paths', async () => {
    const res = await post('/orgs/acme/inference/chat/completions', { model: 'meta/llama-3.3-70b-instruct', messages });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { model: string }).model).toBe('Llama-3.3-70B-Instruct');
    expect(gh.requests.at(-1)).toMatchObject({ org: 'acme', model: 'meta/llama-3.3-70b-instruct', token: 'ghp_alpha', status: 200 });
    const emb = await post('/orgs/acme/inference/embeddings', { model: 'openai/text-embedding-3-small', input: 'x', dimensions: 2 });
    expect(emb.status).toBe(200);
    await emb.text();
  });

  it('embeds as floats or base64 and refuses empty strings', async () => {
    const input = ['first text', 'second text'];
    const floats = await post('/inference/embeddings', { model: 'openai/text-embedding-3-small', input, dimensions: 4 });
    expect(floats.status).toBe(200);
    expect(floats.headers.get('x-ratelimit-key')).toBe('openai/text-embedding-3-small');
    const f = (await floats.json()) as { object: string; model: string; data: { object: string; index: number; embedding: number[] }[]; usage: object };
    expect(f.object).toBe('list');
    expect(f.model).toBe('openai/text-embedding-3-small');
    expect(f.data.map((d) => [d.object, d.index, d.embedding.length])).toEqual([['embedding', 0, 4], ['embedding', 1, 4]]);
    expect(f.usage).toEqual({ prompt_tokens: 6, total_tokens: 6 });

    const b64 = await post('/inference/embeddings', { model: 'text-embedding-3-small', input, dimensions: 4, encoding_format: 'base64' });
    const b = (await b64.json()) as { data: { embedding: string }[] };
    const decoded = Array.from(new Float32Array(new Uint8Array(Buffer.from(b.data[1].embedding, 'base64')).buffer));
    expect(decoded).toEqual(f.data[1].embedding);

    const empty = await post('/inference/embeddings', { model: 'openai/text-embedding-3-small', input: ['ok', ''] });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { error: { type: string } }).error.type).toBe('invalid_request_error');
  });

  it('plays scripted failures: no_access, brownout, reset', async () => {
    gh.fail('ghp_alpha', { status: 403, model: 'openai/gpt-4.1', count: 1 });
    gh.fail('ghp_beta', { status: 410 });
    gh.fail('ghp_gamma', { status: 'reset', count: 1 });
    const forbidden = await chat({ model: 'openai/gpt-4.1' });
    expect(forbidden.status).toBe(403);
    expect(await forbidden.json()).toEqual({ error: { code: 'no_access', message: 'No access to model: openai/gpt-4.1' } });
    const gone = await chat({}, 'ghp_beta');
    expect(gone.status).toBe(410);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('github_models_retirement_brownout');
    await expect(chat({}, 'ghp_gamma')).rejects.toThrow();
    expect((await chat({}, 'ghp_gamma')).status).toBe(200);
  });
});

describe('fake GitHub Models real limiter', () => {
  it('counts per account and model and states the wait until the window turns', async () => {
    const fake = await startFakeGitHubModels({ perMinute: 2, accounts: { ghp_one: 'octocat', ghp_two: 'octocat' } });
    try {
      const send = (token: string, model = 'gpt-4o-mini') =>
        fetch(`${fake.inferenceUrl}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model, messages }),
        });
      expect((await send('ghp_one')).status).toBe(200);
      expect((await send('ghp_two')).status).toBe(200); // same account: shares the budget
      const limited = await send('ghp_one');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('x-ratelimit-type')).toBe('UserByModelByMinute');
      const wait = Number(limited.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(55);
      expect(wait).toBeLessThanOrEqual(60);
      expect(((await limited.json()) as { error: { message: string } }).error.message).toBe(rateLimitMessage('minute', 2, wait));
      expect((await send('ghp_one', 'openai/gpt-4.1')).status).toBe(200); // another model
      expect((await send('ghp_other')).status).toBe(200); // another account
      expect(fake.tokensSeen()).toEqual(['ghp_one', 'ghp_two', 'ghp_one', 'ghp_one', 'ghp_other']);
    } finally {
      await fake.close();
    }
  });
});
