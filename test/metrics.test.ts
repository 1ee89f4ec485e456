/**
 * The `metrics` extension: `GET /metrics` scraped over a real socket and parsed, after a known
 * mix of traffic through the fake OpenAI upstream.
 */
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, type RunningSwitchboard } from './helpers/switchboard.js';

const KEYS = ['sk-metrics-secret-aaaa1111', 'sk-metrics-secret-bbbb2222'];
const ADMIN = 'sk-admin-metrics-secret-0001';

const fake = useFakeOpenAI();
const boards = useSwitchboards();
let sb: RunningSwitchboard | undefined;

async function start(metrics: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  sb = await boards.start({
    auth: { apiKeys: ['sk-test-client'], adminKey: ADMIN },
    plugins: { metrics },
    providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, credentials: KEYS, ...ONE_ATTEMPT, breaker: { consecutiveFailures: 2 }, models: ['gpt-4o-mini'], ...extra }],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
  });
  return new OpenAI({ baseURL: sb.baseURL, apiKey: 'sk-test-client', maxRetries: 0 });
}

/** The samples of a Prometheus text exposition: `name{labels}` -> value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (m) out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return out;
}

async function scrape(headers: Record<string, string> = {}) {
  const res = await fetch(`${sb!.origin}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

describe('GET /metrics', () => {
  it('after a known mix of traffic: credentials by state, attempts, failures by kind, tokens; process metrics; no secret', async () => {
    const client = await start();
    for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `hi ${i}` }] });
    fake.up.script({ kind: 'status', status: 429, body: { error: { message: 'Rate limit reached', type: 'requests', code: 'rate_limit_exceeded' } } });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'and one 429' }] }); // the 429'd key rests, the other serves
    const r = await scrape();
    expect(r.status).toBe(200);
    expect(r.type).toContain('text/plain');
    const m = parse(r.text);
    expect(m.get('switchboard_credentials{provider="up",state="ok"}')).toBe(1);
    expect(m.get('switchboard_credentials{provider="up",state="cooling"}')).toBe(1);
    expect(m.get('switchboard_credentials{provider="up",state="disabled"}')).toBe(0);
    expect(m.get('switchboard_upstream_requests_total{provider="up"}')).toBe(5);
    expect(m.get('switchboard_upstream_failures_total{provider="up",kind="rate_limited"}')).toBe(1);
    const pool = sb!.app.switchboard.providers.get('up')!.pool.snapshot();
    expect(m.get('switchboard_tokens_total{provider="up",direction="in"}')).toBe(pool.reduce((n, c) => n + c.tokensIn, 0));
    expect(m.get('switchboard_tokens_total{provider="up",direction="out"}')).toBeGreaterThan(0);
    expect(m.get('switchboard_queue_depth{provider="up"}')).toBe(0);
    expect(m.get('switchboard_state_degraded{driver="memory"}') ?? m.get('switchboard_state_degraded{driver="file"}')).toBe(0);
    expect(m.has('process_cpu_user_seconds_total')).toBe(true);
    expect(m.has('nodejs_heap_size_used_bytes')).toBe(true);
    for (const secret of [...KEYS, ADMIN, 'sk-test-client']) expect(r.text).not.toContain(secret);
  });

  it('an open breaker shows per model; a model the provider does not list is one label value, never the raw name', async () => {
    const client = await start();
    const fail = { kind: 'status' as const, status: 500, body: { error: { message: 'boom', type: 'server_error' } } };
    fake.up.script(fail, fail, fail, fail);
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'up/made-up-name-7f3a', messages: [{ role: 'user', content: 'x' }] }).catch(() => undefined);
    const r = await scrape();
    const m = parse(r.text);
    expect(m.get('switchboard_breaker_open{provider="up",model="gpt-4o-mini"}')).toBe(1);
    expect(m.get('switchboard_breaker_open{provider="up",model="other"}')).toBe(1);
    expect(r.text).not.toContain('made-up-name');
  });

  it('queue depth: requests waiting for a busy credential', async () => {
    await start({}, { credentials: [KEYS[0]], throttle: { maxConcurrent: 1 } });
    fake.up.script({ kind: 'hang' });
    const ask = (signal: AbortSignal) =>
      fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', signal, headers: { authorization: 'Bearer sk-test-client', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] }) }).catch(() => undefined);
    const stop = new AbortController();
    void ask(stop.signal);
    await expect.poll(() => fake.up.requests.length, { timeout: 2000 }).toBeGreaterThan(0);
    void ask(stop.signal); // waits: the only credential is busy
    await expect.poll(async () => parse((await scrape()).text).get('switchboard_queue_depth{provider="up"}'), { timeout: 2000, interval: 20 }).toBe(1);
    stop.abort();
    await expect.poll(async () => parse((await scrape()).text).get('switchboard_queue_depth{provider="up"}'), { timeout: 2000, interval: 20 }).toBe(0);
  });

  it('requests_total, duration and TTFB histograms after a known mix: exact counts, bounded model labels, refusals counted', async () => {
    const client = await start();
    const ask = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: 'hi' }] };
    for (let i = 0; i < 3; i++) await client.chat.completions.create(ask);
    for (let i = 0; i < 2; i++) for await (const _ of await client.chat.completions.create({ ...ask, stream: true })) void _;
    await client.chat.completions.create({ ...ask, model: 'no-such-model-9c1e' }).catch(() => undefined); // 404
    const stranger = new OpenAI({ baseURL: sb!.baseURL, apiKey: 'sk-wrong-key', maxRetries: 0 });
    await stranger.chat.completions.create(ask).catch(() => undefined); // 401
    fake.up.script({ kind: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    await client.chat.completions.create(ask).catch(() => undefined); // 502, after an attempt on up
    const r = await scrape();
    const m = parse(r.text);
    const route = 'route="/v1/chat/completions"';
    expect(m.get(`switchboard_requests_total{${route},model="gpt-4o-mini",provider="up",status="200"}`)).toBe(5);
    expect(m.get(`switchboard_requests_total{${route},model="other",provider="none",status="404"}`)).toBe(1);
    expect(m.get(`switchboard_requests_total{${route},model="other",provider="none",status="401"}`)).toBe(1); // refused before its body was read
    expect(m.get(`switchboard_requests_total{${route},model="gpt-4o-mini",provider="up",status="502"}`)).toBe(1);
    expect(m.get(`switchboard_request_duration_seconds_count{${route},model="gpt-4o-mini",provider="up"}`)).toBe(6);
    expect(m.get(`switchboard_request_duration_seconds_bucket{le="+Inf",${route},model="gpt-4o-mini",provider="up"}`)).toBe(6);
    expect(m.get(`switchboard_ttfb_seconds_count{${route},model="gpt-4o-mini",provider="up"}`)).toBe(2);
    expect(r.text).not.toContain('no-such-model');
    for (const secret of [...KEYS, ADMIN, 'sk-test-client', 'sk-wrong-key']) expect(r.text).not.toContain(secret);
  });

  it('requireAdminKey: a scrape needs the admin key; the client key is refused', async () => {
    await start({ requireAdminKey: true });
    expect((await scrape()).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer sk-test-client' })).status).toBe(401);
    expect((await scrape({ authorization: `Bearer ${ADMIN}` })).status).toBe(200);
    expect((await scrape({ 'x-admin-key': ADMIN })).status).toBe(200);
  });
});
