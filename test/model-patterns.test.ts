/**
 * `models:` keys with `*`: one line routes a whole family of the names clients send (Claude
 * Code's `claude-*`, Codex's `gpt-5*`), through a real Switchboard over sockets, in front of the
 * mock (its `echo` repeats, its answers name the model it served) and a fake OpenAI upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelPattern } from '../core/routing/model-pattern.js';
import { useFakeOpenAI, useSwitchboards } from './helpers/lifecycle.js';
import { ONE_ATTEMPT, startSwitchboard, type RunningSwitchboard } from './helpers/switchboard.js';

const KEY = 'sk-patterns-client-0123456789';
const fake = useFakeOpenAI({ models: ['gpt-4o-mini', 'gpt-5', 'gpt-5-codex'] });
const sbs = useSwitchboards();

const providers = () => [
  { id: 'mock', plugin: 'mock' },
  { id: 'up', plugin: 'openai-compatible', baseUrl: fake.up.url, apiKey: 'sk-upstream-secret-0123456789', models: ['gpt-4o-mini', 'gpt-5', 'gpt-5-codex'], ...ONE_ATTEMPT },
];

// Config order on purpose: the broad pattern first, the specific one later still wins.
const models = {
  'claude-*': 'mock/echo',
  'claude-opus-*': 'mock/lorem',
  'claude-sonnet-4-5': 'up/gpt-4o-mini',
  'gpt-5*': 'up/*',
  'fail-*': ['up/gpt-4o-mini', 'mock/echo'],
};

let sb: RunningSwitchboard;
beforeAll(async () => {
  sb = await startSwitchboard({ auth: { apiKeys: [KEY] }, providers: providers(), models });
});
afterAll(async () => {
  await sb?.close();
});

interface Answer {
  status: number;
  model?: string;
  content?: string;
  code?: string;
}

async function ask(s: RunningSwitchboard, model: string, stream = false): Promise<Answer> {
  const res = await fetch(`${s.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, max_tokens: 3, messages: [{ role: 'user', content: 'route me' }] }),
  });
  if (!stream || res.status !== 200) {
    const body = (await res.json()) as { model?: string; choices?: { message: { content: string } }[]; error?: { code: string } };
    return { status: res.status, model: body.model, content: body.choices?.[0].message.content, code: body.error?.code };
  }
  const events = (await res.text()).split('\n\n').filter((e) => e.startsWith('data: {')).map((e) => JSON.parse(e.slice(6)) as { model: string; choices: { delta: { content?: string } }[] });
  return { status: 200, model: events[0].model, content: events.map((e) => e.choices[0]?.delta.content ?? '').join('') };
}

function served(s: RunningSwitchboard): { model: unknown; provider: unknown }[] {
  s.app.switchboard.accessLog?.flush();
  return s.logs.filter((l) => l.msg === 'served').map((l) => ({ model: l.model, provider: l.provider }));
}

describe('model patterns in models:', () => {
  it('a pattern routes every name it matches: Claude Code model ids reach the mock', async () => {
    for (const name of ['claude-sonnet-4-5-20250929', 'claude-3-5-haiku-20241022', 'claude-haiku-4-5']) {
      expect(await ask(sb, name)).toEqual({ status: 200, model: 'echo', content: 'route me', code: undefined });
    }
    expect(await ask(sb, 'claude-3-5-haiku-20241022', true)).toEqual({ status: 200, model: 'echo', content: 'route me' });
    expect(served(sb).slice(-4)).toEqual([
      { model: 'claude-sonnet-4-5-20250929', provider: 'mock' },
      { model: 'claude-3-5-haiku-20241022', provider: 'mock' },
      { model: 'claude-haiku-4-5', provider: 'mock' },
      { model: 'claude-3-5-haiku-20241022', provider: 'mock' },
    ]);
  });

  it('the most specific pattern wins, whatever the config order', async () => {
    const answer = await ask(sb, 'claude-opus-4-1-20250805');
    expect(answer.status).toBe(200);
    expect(answer.model).toBe('lorem');
  });

  it('an exact alias beats every pattern', async () => {
    expect(await ask(sb, 'claude-sonnet-4-5')).toMatchObject({ status: 200, model: 'gpt-4o-mini' });
    expect(fake.up.requests.at(-1)?.body?.model).toBe('gpt-4o-mini');
    expect(served(sb).at(-1)).toEqual({ model: 'claude-sonnet-4-5', provider: 'up' });
  });

  it('a target model * passes the requested name on: Codex ids reach the upstream as sent', async () => {
    for (const name of ['gpt-5-codex', 'gpt-5']) {
      expect(await ask(sb, name)).toMatchObject({ status: 200, model: name });
      expect(fake.up.requests.at(-1)?.body?.model).toBe(name);
    }
    // The upstream does not have it: its 404 reaches the client, naming the model.
    const missing = await ask(sb, 'gpt-5-mini');
    expect(missing).toMatchObject({ status: 404, code: 'model_not_found' });
    expect(fake.up.requests.at(-1)?.body?.model).toBe('gpt-5-mini');
  });

  it("a pattern's targets are fallbacks, tried in order like an alias's", async () => {
    fake.up.script({ kind: 'status', status: 500, body: { error: { message: 'boom', type: 'server_error' } } });
    expect(await ask(sb, 'fail-over')).toMatchObject({ status: 200, model: 'echo', content: 'route me' });
    expect(fake.up.requests).toHaveLength(1);
  });

  it('names no pattern matches are resolved as before: provider/model, then provider lists, then 404', async () => {
    expect(await ask(sb, 'mock/lorem')).toMatchObject({ status: 200, model: 'lorem' });
    expect(await ask(sb, 'gpt-4o-mini')).toMatchObject({ status: 200, model: 'gpt-4o-mini' });
    expect(await ask(sb, 'llama-3.1-8b')).toMatchObject({ status: 404, code: 'model_not_found' });
  });

  it('/v1/models lists aliases, not patterns; a name a pattern routes can still be looked up', async () => {
    const list = (await (await fetch(`${sb.baseURL}/models`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { data: { id: string }[] };
    const ids = list.data.map((m) => m.id);
    expect(ids).toContain('claude-sonnet-4-5');
    expect(ids.filter((id) => id.includes('*'))).toEqual([]);
    const one = await fetch(`${sb.baseURL}/models/claude-3-5-haiku-20241022`, { headers: { authorization: `Bearer ${KEY}` } });
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ id: 'claude-3-5-haiku-20241022', object: 'model', owned_by: 'switchboard', description: 'routed by the models: pattern claude-*' });
    expect((await fetch(`${sb.baseURL}/models/llama-3`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
  });

  it('* alone is the default for names nothing else serves; what a provider lists still goes there', async () => {
    const s = await sbs.start({ auth: { apiKeys: [KEY] }, providers: providers(), models: { '*': 'mock/echo', 'claude-*': 'up/gpt-5' } });
    expect(await ask(s, 'llama-3.1-8b')).toMatchObject({ status: 200, model: 'echo' });
    expect(await ask(s, 'gpt-4o-mini')).toMatchObject({ status: 200, model: 'gpt-4o-mini' });
    expect(await ask(s, 'up/gpt-5-codex')).toMatchObject({ status: 200, model: 'gpt-5-codex' });
    expect(await ask(s, 'claude-opus-4-1')).toMatchObject({ status: 200, model: 'gpt-5' });
    expect(served(s)).toEqual([
      { model: 'llama-3.1-8b', provider: 'mock' },
      { model: 'gpt-4o-mini', provider: 'up' },
      { model: 'up/gpt-5-codex', provider: 'up' },
      { model: 'claude-opus-4-1', provider: 'up' },
    ]);
  });

  it('a pattern target naming an unknown provider is a start-up error like an alias', async () => {
    await expect(sbs.start({ providers: providers(), models: { 'claude-*': 'anthropic/claude-sonnet-4-5' } })).rejects.toThrow(/models\.claude-\*: unknown provider "anthropic"; known: mock, up/);
  });
});

describe('ModelPattern', () => {
  const cases: [string, string, boolean][] = [
    ['claude-*', 'claude-sonnet-4-5', true],
    ['claude-*', 'claude-', true],
    ['claude-*', 'claude', false],
    ['claude-*', 'xclaude-3', false],
    ['gpt-5*', 'gpt-5', true],
    ['gpt-5*', 'gpt-5-codex', true],
    ['gpt-5*', 'gpt-4o', false],
    ['*-latest', 'claude-3-7-sonnet-latest', true],
    ['*-latest', 'latest', false],
    ['claude-*-4-5', 'claude-sonnet-4-5', true],
    ['claude-*haiku*', 'claude-3-5-haiku-20241022', true],
    ['claude-*haiku*', 'claude-haiku-4-5-20251001', true],
    ['claude-*haiku*', 'claude-sonnet-4-5', false],
    ['claude-*-4-5', 'claude-4-5', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['a*b*b*c', 'abbc', true],
    ['a*b*b*c', 'abc', false],
    ['*', '', true],
    ['**', 'anything', true],
    ['claude.*', 'claudeX', false], // only * is special: no regex
  ];
  it.each(cases)('%s matches %j: %s', (pattern, name, expected) => {
    expect(new ModelPattern(pattern).matches(name)).toBe(expected);
  });

  it('a name built to make a backtracking matcher explode is answered at once, and correctly', () => {
    const name = `${'a'.repeat(20_000)}c`;
    expect(new ModelPattern('*a*a*a*a*a*a*a*a*b').matches(name)).toBe(false);
    expect(new ModelPattern('*a*a*a*a*a*a*a*a*c').matches(name)).toBe(true);
  });

  it('specificity is the count of fixed characters', () => {
    expect(new ModelPattern('claude-opus-*').literalLength).toBeGreaterThan(new ModelPattern('claude-*').literalLength);
    expect(new ModelPattern('*').catchAll).toBe(true);
    expect(new ModelPattern('**').catchAll).toBe(true);
  });
});
