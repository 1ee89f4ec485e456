/**
 * Providers and their credentials at the edges: a provider configured without any (keyless: its
 * one entry is the provider itself) whose upstream refuses it, and a provider configured with
 * credentials that all resolve to nothing (not keyless: it has none). Real Switchboards over
 * loopback in front of a fake OpenAI upstream that counts what reaches it.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readConfigObject } from '../core/config/load.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { defaultReply, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';

const messages = [{ role: 'user' as const, content: 'hello' }];
/** Wants a key: a request without one gets 401 `invalid_api_key`. */
let locked: FakeOpenAI;
/** Wants none. */
let open: FakeOpenAI;
let sb: RunningSwitchboard | undefined;
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  locked = await startFakeOpenAI({ models: ['gpt-4o-mini'], apiKey: 'sk-the-key-it-wants-0123456789' });
  open = await startFakeOpenAI({ models: ['gpt-4o-mini'] });
});
afterAll(async () => {
  await locked.close();
  await open.close();
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  for (const c of cleanups.splice(0)) await c();
  locked.requests.length = 0;
  open.requests.length = 0;
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swb-creds-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function chat(model: string): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages }) });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

const chatsAt = (up: FakeOpenAI) => up.requests.filter((r) => r.method === 'POST').length;

describe('a provider configured without credentials', () => {
  const keyless = (baseUrl: string) => ({ id: 'local', plugin: 'openai-compatible', baseUrl, models: ['gpt-4o-mini'], ...ONE_ATTEMPT });

  it('regression: a 401 rests the provider in memory and says why; nothing is persisted as disabled, a restart tries again at once', async () => {
    const state = { driver: 'file', path: join(await tempDir(), 'state.json'), debounceMs: 10 };
    const config = { providers: [keyless(locked.url)], state };
    sb = await startSwitchboard(config);

    const first = await chat('local/gpt-4o-mini');
    expect(first.status).toBe(503);
    expect(first.json.error.code).toBe('no_upstream_available');
    expect(first.json.error.message).toContain('Provider "local" is configured without credentials and its upstream refused a request without one (HTTP 401');
    expect(Number(first.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(chatsAt(locked)).toBe(1);

    // Resting: the next request is not sent upstream, and is told the same.
    const second = await chat('local/gpt-4o-mini');
    expect(second.status).toBe(503);
    expect(second.json.error.message).toContain('configured without credentials');
    expect(chatsAt(locked)).toBe(1);

    await sb.close();
    sb = undefined;
    const saved = JSON.parse(await readFile(state.path, 'utf8'));
    expect(saved.pools.local.anonymous.enabled).not.toBe(false);
    expect(saved.pools.local.anonymous.disabledReason).toBeUndefined();

    sb = await startSwitchboard(config);
    expect((await chat('local/gpt-4o-mini')).status).toBe(503);
    expect(chatsAt(locked)).toBe(2); // asked again at once after the restart
  });

  it('regression: a state file where an older version disabled the keyless entry does not keep it disabled', async () => {
    const path = join(await tempDir(), 'state.json');
    const old = { enabled: false, disabledReason: 'credential_invalid', disabledAt: 1, requests: 1, failures: 1, models: {} };
    await writeFile(path, JSON.stringify({ version: 1, pools: { local: { anonymous: old } } }));
    sb = await startSwitchboard({ providers: [keyless(open.url)], state: { driver: 'file', path, debounceMs: 10 } });
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'local/gpt-4o-mini', messages });
    expect(r.choices[0].message.content).toBe(defaultReply({ messages }));
    expect(sb.app.switchboard.providers.get('local')!.pool.snapshot()[0]).toMatchObject({ enabled: true, successes: 1 });
  });
});

describe('a provider whose configured credentials all resolve to nothing', () => {
  const WARNING = 'providers[1].credentials: GITHUB_TOKEN is not set; provider github has no credentials';
  const config = (extra: Record<string, unknown> = {}) => ({
    providers: [
      { id: 'mock', plugin: 'mock' },
      { id: 'github', plugin: 'openai-compatible', baseUrl: locked.url, credentials: [{ env: 'GITHUB_TOKEN' }], ...ONE_ATTEMPT, ...extra },
    ],
    models: { fast: ['github/gpt-4o-mini', 'mock/echo'], only: 'github/gpt-4o-mini' },
  });

  it('regression: is not keyless: one start-up warning, not ready, 503 no_credentials, never sent upstream without a key', async () => {
    sb = await startSwitchboard(config());
    const warnings = sb.logs.filter((l) => l.msg === WARNING);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe(40);

    const ready = await fetch(`${sb.origin}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as any).providers).toEqual([
      { id: 'mock', plugin: 'mock', ready: true },
      { id: 'github', plugin: 'openai-compatible', ready: false, reason: WARNING },
    ]);

    for (const model of ['github/gpt-4o-mini', 'only', 'gpt-4o-mini']) {
      const r = await chat(model);
      expect(r.status, model).toBe(503);
      expect(r.json.error, model).toMatchObject({ type: 'service_unavailable', code: 'no_credentials' });
      expect(r.json.error.message, model).toContain(WARNING);
    }
    // A fallback target still serves.
    const client = new OpenAI({ baseURL: sb.baseURL, apiKey: 'none', maxRetries: 0 });
    const r = await client.chat.completions.create({ model: 'fast', messages });
    expect(r.model).toContain('echo');
    // Nothing went upstream: not a chat, not a model listing.
    expect(locked.requests).toHaveLength(0);
  });

  it('tokens added at run time make it serve and ready', async () => {
    const ADMIN = 'admin-key-0123456789abcdef';
    sb = await startSwitchboard({ ...config(), auth: { adminKey: ADMIN }, plugins: { 'token-admin': {} } });
    const headers = { 'x-admin-key': ADMIN, 'content-type': 'application/json' };
    const stats = (await (await fetch(`${sb.origin}/v1/tokens/stats?provider=github`, { headers })).json()) as any;
    expect(stats).toMatchObject({ total_tokens: 0, current_token: null, tokens: [] });
    const add = await fetch(`${sb.origin}/v1/tokens/add?provider=github`, { method: 'POST', headers, body: JSON.stringify({ tokens: ['sk-the-key-it-wants-0123456789'] }) });
    expect(add.status).toBe(200);
    expect((await chat('github/gpt-4o-mini')).status).toBe(200);
    expect((((await (await fetch(`${sb.origin}/readyz`)).json()) as any).providers as { ready: boolean }[]).every((p) => p.ready)).toBe(true);
  });

  it('regression: /readyz is 503 when no provider has credentials to serve with', async () => {
    sb = await startSwitchboard({ providers: [config().providers[1]] });
    const ready = await fetch(`${sb.origin}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as any).error.message).toContain('providers[0].credentials: GITHUB_TOKEN is not set; provider github has no credentials');
  });

  it('regression: names the empty source: an empty variable, list, file or apiKey; a provider without either key stays keyless', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'tokens.txt'), '# none yet\n\n');
    const p = (extra: Record<string, unknown>) => ({ plugin: 'openai-compatible', baseUrl: locked.url, ...extra });
    const { config: c, problems } = readConfigObject(
      {
        providers: [
          p({ id: 'a', credentials: [] }),
          p({ id: 'b', credentials: { file: './tokens.txt' } }),
          p({ id: 'c', credentials: [{ env: 'EMPTY' }, '${UNSET:-}'] }),
          p({ id: 'd', apiKey: '${UNSET:-}' }),
          p({ id: 'e' }),
        ],
      },
      { dir, env: { EMPTY: ' ' } },
    );
    expect(problems.format()).toEqual([]);
    expect(c.providers.map((x) => x.credentialsMissing)).toEqual([
      'providers[0].credentials: the list is empty; provider a has no credentials',
      'providers[1].credentials: ./tokens.txt is empty; provider b has no credentials',
      'providers[2].credentials: EMPTY is empty, entry 1 is empty; provider c has no credentials',
      'providers[3].apiKey: the value is empty; provider d has no credentials',
      undefined,
    ]);
    sb = await startSwitchboard({ providers: [p({ id: 'e', baseUrl: open.url, ...ONE_ATTEMPT })] });
    expect(sb.app.switchboard.providers.get('e')!.pool.keyless).toBe(true);
    expect(((await (await fetch(`${sb.origin}/readyz`)).json()) as any).providers).toEqual([{ id: 'e', plugin: 'openai-compatible', ready: true }]);
  });
});
