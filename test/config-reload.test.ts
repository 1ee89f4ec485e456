/**
 * Config reload (`POST /v1/admin/reload`, SIGHUP): a Switchboard started from a config file reads
 * it again and applies what can change live, each provider's credentials and pool settings; what
 * needs a restart is named, not half-applied; a broken file changes nothing.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { bearerOf, startFakeOpenAI, type FakeOpenAI } from './fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';
import { maskSecret } from '../core/pool/credentials.js';

const ADMIN = 'admin-key-for-reload-tests-0123';
const KEYS = ['sk-reload-key-0000000000aaaa', 'sk-reload-key-1111111111bbbb', 'sk-reload-key-2222222222cccc'];

let upstream: FakeOpenAI;
let dir: string;
let sb: RunningSwitchboard | undefined;

beforeAll(async () => {
  upstream = await startFakeOpenAI();
  dir = await mkdtemp(join(tmpdir(), 'swb-reload-'));
});
afterAll(async () => {
  await upstream.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(async () => {
  await sb?.close();
  sb = undefined;
  upstream.requests.length = 0;
});

function config(provider: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    state: { driver: 'memory' },
    auth: { adminKey: ADMIN },
    providers: [{ id: 'up', plugin: 'openai-compatible', baseUrl: upstream.url, credentials: KEYS.slice(0, 2), retry: { attempts: 1 }, ...provider }],
    models: { 'gpt-4o-mini': 'up/gpt-4o-mini' },
    plugins: { 'token-admin': {} },
    ...extra,
  };
}

async function writeConfig(file: string, c: unknown): Promise<void> {
  await writeFile(file, stringify(c));
}

async function reload(headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${sb!.origin}/v1/admin/reload`, { method: 'POST', headers: { 'x-admin-key': ADMIN, ...headers } });
  return { status: res.status, json: await res.json() };
}

async function chat(): Promise<number> {
  const res = await fetch(`${sb!.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

const keysUsed = () => new Set(upstream.requests.filter((r) => r.method === 'POST').map(bearerOf));

describe('POST /v1/admin/reload', () => {
  it('applies new credentials and throttle settings; names what needs a restart; keeps what is known of staying keys', async () => {
    const file = join(dir, 'live.yaml');
    await writeConfig(file, config());
    sb = await startSwitchboard(undefined, { file });
    for (let i = 0; i < 4; i++) expect(await chat()).toBe(200);
    expect(keysUsed()).toEqual(new Set(KEYS.slice(0, 2)));

    // KEYS[0] out, KEYS[2] in; one request per key per minute; a client key added (needs a restart).
    await writeConfig(file, config({ credentials: KEYS.slice(1), throttle: { windows: [{ requests: 1, windowMs: 60_000 }] } }, { auth: { adminKey: ADMIN, apiKeys: ['sk-new-client-key'] } }));
    const r = await reload({ 'content-type': 'application/json' }); // as scripts send it: a JSON type, no body
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ success: true, applied: ['providers.up.credentials', 'providers.up.throttle'], restart_needed: ['auth'] });
    expect(JSON.stringify(r.json)).not.toContain('sk-new-client-key');
    upstream.requests.length = 0;
    expect([await chat(), await chat(), await chat()]).toEqual([200, 200, 429]); // the new window holds
    expect(keysUsed()).toEqual(new Set(KEYS.slice(1)));
    // KEYS[1] stayed: its counts did too (2 before the reload + 1 after).
    const stats = (await (await fetch(`${sb.origin}/v1/tokens/stats`, { headers: { 'x-admin-key': ADMIN } })).json()) as any;
    expect(stats.tokens.map((t: any) => [t.key, t.requests])).toEqual([
      [maskSecret(KEYS[1]), 3],
      [maskSecret(KEYS[2]), 1],
    ]);
    // Still no client key required: auth was not applied.
    expect(await chat()).toBe(429);
  });

  it('a broken file changes nothing: 422 with the problem, the running config serves on', async () => {
    const file = join(dir, 'broken.yaml');
    await writeConfig(file, config());
    sb = await startSwitchboard(undefined, { file });
    await writeFile(file, 'providers: [ {id: up, plugin: nope-plugin');
    const r = await reload();
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: 'config_invalid', type: 'invalid_request_error' });
    // regression: the position used to follow a dangling colon ("is not valid YAML:; line 1")
    expect(r.json.error.message).toMatch(/is not valid YAML: line 1, column \d+: \S/);
    expect(r.json.error.message).not.toContain(':;');
    await writeConfig(file, config({ credentials: KEYS.slice(2), plugin: 'no-such-plugin' }));
    expect((await reload()).status).toBe(422);
    expect(await chat()).toBe(200);
    expect(keysUsed()).toEqual(new Set([KEYS[0]]));
  });

  it('a Switchboard built from a config object has no file to reload: 409', async () => {
    sb = await startSwitchboard(config());
    const r = await reload();
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe('no_config_file');
  });
});
