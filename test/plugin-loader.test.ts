import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTRACT_VERSION } from '../core/index.js';
import { StartupError } from '../core/errors/gateway-error.js';
import { versionProblem } from '../core/loader/contract-check.js';
import { resolvePackage, typeScriptLoader } from '../core/loader/plugin-module.js';
import { BUNDLED_CONFIG, prepare } from '../core/startup.js';
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

  it('refuses a plugin written for a newer contract: upgrade Switchboard, both versions named', async () => {
    const msg = await startupError({ providers: [{ id: 'f', plugin: './future-provider.mjs' }] });
    expect(msg).toContain(
      `providers[0].plugin: plugin "./future-provider.mjs" is written for plugin contract 2, newer than this Switchboard's contract ${CONTRACT_VERSION}: upgrade Switchboard to a release that speaks contract 2`,
    );
  });

  it('refuses a plugin written for an older contract: the plugin needs updating, both versions named', async () => {
    const msg = await startupError({ providers: [{ id: 'p', plugin: './past-provider.mjs' }] });
    expect(msg).toContain(
      `providers[0].plugin: plugin "./past-provider.mjs" is written for plugin contract 0, older than this Switchboard's contract ${CONTRACT_VERSION}: the plugin needs updating to contract ${CONTRACT_VERSION}`,
    );
    expect(versionProblem('1')).toBe(`declares contractVersion "1"; expected an integer (this Switchboard speaks plugin contract ${CONTRACT_VERSION})`);
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

/** A package `node_modules/<name>` in `dir` whose provider is named `label`; `exports` as given. */
function fakePackage(dir: string, name: string, label: string, exports?: unknown): void {
  const folder = join(dir, 'node_modules', name);
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'package.json'), JSON.stringify({ name, type: 'module', ...(exports ? { exports } : { main: 'index.js' }) }));
  const plugin = (n: string) => `export default { kind: 'provider', contractVersion: ${CONTRACT_VERSION}, name: '${n}', optionsSchema: { type: 'object' }, create() {} };\n`;
  writeFileSync(join(folder, 'index.js'), plugin(label));
  writeFileSync(join(folder, 'wrong.cjs'), 'throw new Error("the CommonJS side was loaded");\n');
}

describe('where plugins come from', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'swb-loader-'));

  it('a package name is looked up from the config file\'s folder first, then the working directory', async () => {
    const configDir = join(tmp, 'config-folder');
    const cwd = join(tmp, 'working-dir');
    const elsewhere = join(tmp, 'elsewhere');
    mkdirSync(elsewhere, { recursive: true });
    // ESM-only beside the config (require() could not resolve it); a plain main in the working directory.
    fakePackage(configDir, 'order-probe', 'from-config-folder', { '.': { require: './wrong.cjs', import: './index.js' } });
    fakePackage(cwd, 'order-probe', 'from-working-dir');
    const named = async (dir: string) =>
      (await prepare({ raw: { state: { driver: 'memory' }, providers: [{ id: 'p', plugin: 'order-probe' }] }, dir }, { cwd })).plugins.providers[0].plugin.name;
    expect(await named(configDir)).toBe('from-config-folder');
    expect(await named(elsewhere)).toBe('from-working-dir');
    const missing = await prepare({ raw: { providers: [{ id: 'p', plugin: 'order-probe' }] }, dir: elsewhere }, { cwd: elsewhere }).catch((e: Error) => e.message);
    expect(missing).toContain('providers[0].plugin: unknown plugin "order-probe"; known: ');
  });

  it('a .ts plugin with no tsx anywhere Switchboard looks says to compile it or install tsx', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'swb-no-tsx-'));
    await expect(typeScriptLoader([empty])).rejects.toThrow(
      `it is TypeScript, and no TypeScript loader is installed: compile it to JavaScript (tsc) and name the .js file, or install tsx (npm install tsx) where Switchboard or the config file is (looked in ${empty})`,
    );
    // The same lookup finds tsx's ESM entry where it is installed (this checkout's devDependencies).
    expect(resolvePackage('tsx/esm/api', [process.cwd()])).toMatch(/node_modules\/tsx\/dist\/esm\/api\/index\.mjs$/);
  });

  it('relative paths of the bundled config resolve against the working directory, not the package', async () => {
    const cwd = join(tmp, 'bundled-cwd');
    mkdirSync(cwd, { recursive: true });
    const prepared = await prepare({ file: BUNDLED_CONFIG }, { env: {}, cwd });
    expect(prepared.config.state.path).toBe(join(cwd, 'data', 'state.json'));
    const data = await prepare({ file: BUNDLED_CONFIG }, { env: { SWITCHBOARD_DATA_DIR: '/var/lib/switchboard', SWITCHBOARD_STATE_DRIVER: 'memory' }, cwd });
    expect(data.config.state).toMatchObject({ path: '/var/lib/switchboard/state.json', driver: 'memory' });
    // Any other file keeps its own folder.
    const other = join(tmp, 'other', 'config.yaml');
    mkdirSync(dirname(other), { recursive: true });
    copyFileSync(BUNDLED_CONFIG, other);
    expect((await prepare({ file: other }, { env: {}, cwd })).config.state.path).toBe(join(tmp, 'other', 'data', 'state.json'));
  });

  it('a second copy of the core refuses to load, naming both files', async () => {
    const copy = join(tmp, 'copy', 'core-instance.ts');
    mkdirSync(dirname(copy), { recursive: true });
    const real = fileURLToPath(new URL('../core/contract/core-instance.ts', import.meta.url));
    copyFileSync(real, copy);
    await expect(import(copy)).rejects.toThrow(`a second copy of Switchboard's core was loaded from ${copy}; the running server's is ${real}.`);
  });
});
