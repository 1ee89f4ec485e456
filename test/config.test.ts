import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../core/cli-args.js';
import { StartupError } from '../core/errors/gateway-error.js';
import { prepare } from '../core/startup.js';

const dir = mkdtempSync(join(tmpdir(), 'swb-config-'));
let n = 0;
function file(text: string): string {
  const f = join(dir, `config-${++n}.yaml`);
  writeFileSync(f, text);
  return f;
}

/** The problem lines start-up would print for this YAML. */
async function problems(yaml: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const err = await prepare({ file: file(yaml) }, { env }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StartupError);
  return (err as StartupError).message.split('\n').slice(1);
}

describe('config validation', () => {
  it('names the YAML path and the known plugins for a typo', async () => {
    const lines = await problems('providers:\n  - id: x\n    plugin: opena1\n');
    expect(lines).toEqual(['providers[0].plugin: unknown plugin "opena1"; known: anthropic, github-models, grok-web, mock, openai-compatible (line 3)']);
  });

  it('reports every problem at once, one line each', async () => {
    const lines = await problems(
      [
        'server:',
        '  port: eighty',
        '  colour: blue',
        'providers:',
        '  - id: a',
        '    plugin: openai-compatible',
        '    baseURL: http://x',
        '  - id: a',
        '    plugin: mock',
        '    chunkDelayMs: -1',
        'models:',
        '  fast: nowhere/model',
      ].join('\n'),
    );
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^server\.port: expected an integer, got "eighty"/),
        expect.stringMatching(/^server\.colour: unknown key; known: host, port/),
        expect.stringMatching(/^providers\[1\]\.id: duplicate provider id "a" \(also providers\[0\]\)/),
        expect.stringMatching(/^models\.fast: unknown provider "nowhere"; known: a/),
        expect.stringMatching(/^providers\[0\]\.baseUrl: is required/),
        expect.stringMatching(/^providers\[0\]\.baseURL: unknown key; known: id, plugin, .*baseUrl/),
        expect.stringMatching(/^providers\[1\]\.chunkDelayMs: must be >= 0/),
      ]),
    );
    expect(lines).toHaveLength(7);
  });

  it('explains a wrong shape for a union once, not per branch', async () => {
    const lines = await problems('auth:\n  apiKeys: { path: keys.txt }\nproviders:\n  - { id: m, plugin: mock }\n');
    expect(lines).toEqual(['auth.apiKeys: expected a string, a list, { file: path } or { env: NAME }, got an object (line 2)']);
  });

  it('reports YAML syntax errors with their position', async () => {
    const err = await prepare({ file: file('providers:\n  - id: [unclosed\n') }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/not valid YAML:\nline \d+, column \d+/);
  });

  it('a missing file is a clear error', async () => {
    const err = await prepare({ file: join(dir, 'nope.yaml') }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/cannot read config file .*nope\.yaml: ENOENT/);
  });
});

describe('interpolation', () => {
  it('reads ${VAR} and ${VAR:-default}, coercing numbers, with $${ as a literal', async () => {
    const { config } = await prepare(
      {
        file: file(
          'server:\n  port: ${PORT:-8123}\n  host: ${HOST}\nproviders:\n  - id: m\n    plugin: mock\nmodels:\n  fast: { targets: [m/echo], description: "cost $${x}" }\n',
        ),
      },
      { env: { HOST: '127.0.0.9' } },
    );
    expect(config.server.port).toBe(8123);
    expect(config.server.host).toBe('127.0.0.9');
    expect(config.models[0].description).toBe("cost ${x}");
  });

  it('an unset variable without a default is a problem at its path', async () => {
    const lines = await problems('auth:\n  apiKeys: ["${MY_KEY}"]\nproviders:\n  - { id: m, plugin: mock }\n');
    expect(lines[0]).toMatch(/^auth\.apiKeys\[0\]: environment variable MY_KEY is not set/);
  });

  it('empty values from ${VAR:-} are ignored in key and credential lists', async () => {
    const { config } = await prepare({ file: file('auth:\n  apiKeys: ["${K:-}"]\nproviders:\n  - { id: m, plugin: mock, credentials: ["${T:-}", "real-token-value-1234"] }\n') });
    expect(config.auth.apiKeys).toEqual([]);
    expect(config.providers[0].credentials.map((c) => c.secret)).toEqual(['real-token-value-1234']);
  });
});

describe('secrets from files and env', () => {
  it('reads one secret per line, skipping # comments and blanks, relative to the config', async () => {
    writeFileSync(join(dir, 'tokens.txt'), '# team tokens\nghp_aaaaaaaaaaaaaaaa1111\n\n  ghp_bbbbbbbbbbbbbbbb2222  \n# old: ghp_cccc\n');
    const { config } = await prepare({
      file: file('auth:\n  apiKeys: { env: SWB_KEYS }\nproviders:\n  - id: m\n    plugin: mock\n    credentials: { file: tokens.txt }\n'),
    }, { env: { SWB_KEYS: 'k1,k2\nk3' } });
    expect(config.providers[0].credentials.map((c) => c.secret)).toEqual(['ghp_aaaaaaaaaaaaaaaa1111', 'ghp_bbbbbbbbbbbbbbbb2222']);
    expect(config.auth.apiKeys).toEqual(['k1', 'k2', 'k3']);
  });

  it('named credentials and apiKey shorthand', async () => {
    const { config } = await prepare({
      file: file('providers:\n  - id: m\n    plugin: mock\n    apiKey: single-key-0001\n    credentials:\n      - { value: named-key-0002, name: alice, tier: pro }\n'),
    });
    expect(config.providers[0].credentials).toEqual([{ secret: 'single-key-0001' }, { secret: 'named-key-0002', name: 'alice', tier: 'pro' }]);
  });

  it('an unreadable secret file is a problem naming its path', async () => {
    const lines = await problems('providers:\n  - id: m\n    plugin: mock\n    credentials: { file: missing.txt }\n');
    expect(lines[0]).toMatch(/^providers\[0\]\.credentials\.file: cannot read .*missing\.txt: ENOENT/);
  });
});

describe('command line and environment', () => {
  it('flags beat env, env beats the file default', () => {
    expect(parseCli(['--port', '9001', '--host', 'h1', '--config', 'a.yaml'], { PORT: '9002', HOST: 'h2', SWITCHBOARD_CONFIG: 'b.yaml' })).toMatchObject({
      port: 9001,
      host: 'h1',
      configPath: 'a.yaml',
    });
    expect(parseCli([], { PORT: '9002', HOST: 'h2', SWITCHBOARD_CONFIG: 'b.yaml' })).toMatchObject({ port: 9002, host: 'h2', configPath: 'b.yaml' });
    expect(parseCli([], {})).toMatchObject({ port: undefined, host: undefined, configPath: undefined });
  });

  it('rejects a bad port', () => {
    expect(() => parseCli(['--port', 'http'], {})).toThrow(/invalid port "http" \(from --port\)/);
    expect(() => parseCli([], { PORT: '70000' })).toThrow(/from PORT/);
  });

  it('overrides land in the config', async () => {
    const { config } = await prepare({ file: file('server: { port: 1 }\nproviders:\n  - { id: m, plugin: mock }\n') }, { overrides: { port: 2, host: '::1' } });
    expect(config.server).toMatchObject({ port: 2, host: '::1' });
  });

  it('the bundled config.yaml is valid', async () => {
    const { config, plugins } = await prepare({ file: 'config.yaml' }, { env: {} });
    expect(config.server.port).toBe(8000);
    expect(plugins.providers.map((p) => p.config.id)).toContain('mock');
  });
});
