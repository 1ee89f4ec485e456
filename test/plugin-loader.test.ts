import { describe, expect, it } from 'vitest';
import { StartupError } from '../core/errors/gateway-error.js';
import { prepare } from '../core/startup.js';
import { startSwitchboard } from './helpers/switchboard.js';

const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;

async function startupError(raw: unknown): Promise<string> {
  const err = await prepare({ raw, dir: fixtures }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StartupError);
  return (err as Error).message;
}

describe('third-party plugins', () => {
  it('loads a provider from a path (relative to the config) with its own options', async () => {
    const sb = await startSwitchboard(
      { providers: [{ id: 'loud', plugin: './shout-provider.ts', greeting: 'OI' }] },
      { dir: fixtures },
    );
    try {
      const res = await fetch(`${sb.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'loud/loud', messages: [{ role: 'user', content: 'quiet please' }] }),
      });
      const body = (await res.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0].message.content).toBe('OI QUIET PLEASE');
    } finally {
      await sb.close();
    }
  });

  it('validates a third-party plugin options against its schema', async () => {
    const msg = await startupError({ providers: [{ id: 'loud', plugin: './shout-provider.ts', greeting: ['a'], volume: 11 }] });
    expect(msg).toContain('providers[0].greeting: expected a string, got a list');
    expect(msg).toContain('providers[0].volume: unknown key');
  });

  it('refuses a plugin written for another contract version', async () => {
    const msg = await startupError({ providers: [{ id: 'f', plugin: './future-provider.mjs' }] });
    expect(msg).toContain('providers[0].plugin: plugin "./future-provider.mjs" declares contractVersion 2; this Switchboard speaks contract 1');
  });

  it('names every missing member', async () => {
    const msg = await startupError({ providers: [{ id: 'i', plugin: './incomplete-provider.mjs' }] });
    expect(msg).toContain('is missing optionsSchema');
    expect(msg).toContain('is missing create()');
  });

  it('checks what create() returns', async () => {
    const prepared = await prepare({ raw: { providers: [{ id: 'c', plugin: './chatless-provider.mjs' }] }, dir: fixtures });
    const { buildApp } = await import('../core/app.js');
    const err = await buildApp({ ...prepared }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/providers\[0\] \("c"\): plugin ".\/chatless-provider.mjs" broke its contract:\nprovider is missing chat\(\)/);
  });

  it('a missing path is a clear error', async () => {
    const msg = await startupError({ providers: [{ id: 'x', plugin: './nowhere.ts' }] });
    expect(msg).toMatch(/providers\[0\]\.plugin: cannot load plugin "\.\/nowhere\.ts": .*nowhere\.ts does not exist/);
  });

  it('an extension under providers: (and vice versa) is refused with a hint', async () => {
    const msg = await startupError({ providers: [{ id: 'm', plugin: 'mock' }, { id: 'h', plugin: './hello-extension.ts' }], plugins: { mock: {} } });
    expect(msg).toContain('providers[1].plugin: plugin "./hello-extension.ts" is an extension plugin: enable it under plugins:, not providers:');
    expect(msg).toContain('plugins.mock: plugin "mock" is a provider plugin: list it under providers:, not plugins:');
  });

  it('registers an extension plugin with its options, reaching core services', async () => {
    const sb = await startSwitchboard({ providers: [{ id: 'm', plugin: 'mock' }], plugins: { './hello-extension.ts': { word: 'bonjour' } } }, { dir: fixtures });
    try {
      const res = await fetch(`${sb.origin}/hello`);
      expect(await res.json()).toEqual({ word: 'bonjour', providers: ['m'] });
    } finally {
      await sb.close();
    }
  });

  it('an extension whose dependency is not registered before it stops the start with fastify\'s message, naming the entry', async () => {
    const providers = [{ id: 'm', plugin: 'mock' }];
    for (const plugins of [{ './needs-hello-extension.ts': {} }, { './needs-hello-extension.ts': {}, './hello-extension.ts': { word: 'hi' } }]) {
      const err = await startSwitchboard({ providers, plugins }, { dir: fixtures }).then(
        (sb) => sb.close(),
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(StartupError);
      expect((err as Error).message).toContain('plugins../needs-hello-extension.ts: extension "needs-hello" failed to register:');
      expect((err as Error).message).toContain("The dependency 'hello' of plugin 'needs-hello' is not registered");
    }
    const sb = await startSwitchboard({ providers, plugins: { './hello-extension.ts': { word: 'hi' }, './needs-hello-extension.ts': {} } }, { dir: fixtures });
    try {
      expect(await (await fetch(`${sb.origin}/hello/again`)).json()).toEqual({ again: true });
    } finally {
      await sb.close();
    }
  });

  it('refuses dependencies that are not a list of names', async () => {
    const msg = await startupError({ providers: [{ id: 'm', plugin: 'mock' }], plugins: { './bad-deps-extension.mjs': {} } });
    expect(msg).toContain('declares dependencies that are not a list of plugin names (strings)');
  });

  it("validates an extension's options", async () => {
    const msg = await startupError({ providers: [{ id: 'm', plugin: 'mock' }], plugins: { './hello-extension.ts': { wrod: 'x' } } });
    expect(msg).toContain('plugins../hello-extension.ts.word: is required');
  });
});

describe('extension hooks and the core routes', () => {
  it('headers set by a global hook reach streaming answers too', async () => {
    const sb = await startSwitchboard({ providers: [{ id: 'm', plugin: 'mock' }], plugins: { './trace-extension.ts': {} } }, { dir: fixtures });
    try {
      for (const stream of [false, true]) {
        const res = await fetch(`${sb.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'echo', stream, messages: [{ role: 'user', content: 'x' }] }),
        });
        await res.text();
        expect(res.headers.get('x-trace')).toBe('traced-1');
        if (stream) expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
      }
    } finally {
      await sb.close();
    }
  });
});

describe('the admin-key guard extensions use', () => {
  it('is closed, not open, when no admin key is configured', async () => {
    const sb = await startSwitchboard({ providers: [{ id: 'm', plugin: 'mock' }], plugins: { './admin-extension.ts': {} } }, { dir: fixtures });
    try {
      const res = await fetch(`${sb.origin}/v1/admin-probe`);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/disabled: set auth.adminKey/);
    } finally {
      await sb.close();
    }
  });

  it('accepts the admin key (from env) as Bearer or x-admin-key, and nothing else', async () => {
    const sb = await startSwitchboard(
      { auth: { apiKeys: ['client-key'], adminKey: { env: 'SWB_ADMIN' } }, providers: [{ id: 'm', plugin: 'mock' }], plugins: { './admin-extension.ts': {} } },
      { dir: fixtures, env: { SWB_ADMIN: 'admin-secret-123' } },
    );
    try {
      const get = (headers: Record<string, string>) => fetch(`${sb.origin}/v1/admin-probe`, { headers }).then((r) => r.status);
      expect(await get({ authorization: 'Bearer admin-secret-123' })).toBe(200);
      expect(await get({ 'x-admin-key': 'admin-secret-123' })).toBe(200);
      expect(await get({ authorization: 'Bearer client-key' })).toBe(401);
      expect(await get({})).toBe(401);
    } finally {
      await sb.close();
    }
  });
});
