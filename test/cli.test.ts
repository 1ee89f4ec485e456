/** The real process: the compiled `dist/core/main.js` that `npm start` runs (the global setup, test/helpers/build-dist.ts, builds it first). */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';
import { spawnCaptured } from './helpers/spawned.js';
import { prepare } from '../core/startup.js';

const dir = mkdtempSync(join(tmpdir(), 'swb-cli-'));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnCaptured(process.execPath, ['dist/core/main.js', ...args], { env: { PATH: process.env.PATH, ...env } });
}

describe('switchboard process', () => {
  it('refuses an invalid config with one line per problem and exit code 1', async () => {
    const f = join(dir, 'bad.yaml');
    writeFileSync(f, 'providers:\n  - id: x\n    plugin: opena1\n  - id: y\n    plugin: mock\n    chunkDelayMs: slow\n');
    const p = run(['--config', f]);
    expect(await p.exited).toBe(1);
    expect(p.err()).toContain(`invalid configuration in ${f}:`);
    expect(p.err()).toContain('providers[0].plugin: unknown plugin "opena1"; known: anthropic, github-models, grok-web, mock, openai-compatible (line 3)');
    expect(p.err()).toContain('providers[1].chunkDelayMs: expected an integer, got "slow" (line 6)');
    expect(p.err()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('--check validates without serving', async () => {
    const p = run(['--check', '--config', 'config.yaml']);
    expect(await p.exited).toBe(0);
    expect(p.out()).toMatch(/config\.yaml: OK \(1 providers, 1 model routes\)/);
  });

  it('regression: --check passes but prints the warning about a provider whose credentials resolve to nothing', async () => {
    const f = join(dir, 'no-token.yaml');
    writeFileSync(f, 'providers:\n  - id: mock\n    plugin: mock\n  - id: github\n    plugin: github-models\n    credentials: [{ env: GITHUB_TOKEN }]\n');
    const p = run(['--check', '--config', f]);
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain(`${f}: OK (2 providers, 0 model routes)`);
    expect(p.err()).toBe('switchboard: warning: providers[1].credentials: GITHUB_TOKEN is not set; provider github has no credentials\n');
  });

  it('serves the bundled config on PORT, answers probes, warns once about open auth, and stops on SIGTERM', async () => {
    const port = await freePort();
    const p = run([], { PORT: String(port), HOST: '127.0.0.1' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      expect(await ready.json()).toEqual({ status: 'ready', providers: [{ id: 'mock', plugin: 'mock', ready: true }] });
      const chat = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'ping' }] }),
      });
      expect(((await chat.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('ping');
      expect(p.out().match(/accepts requests without an API key/g)).toHaveLength(1);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('regression: the bundled config listens on 127.0.0.1 unless HOST says otherwise, and the open-auth warning says how to open it up', async () => {
    expect((await prepare({ file: 'config.yaml' }, { env: {} })).config.server.host).toBe('127.0.0.1');
    expect((await prepare({ file: 'config.yaml' }, { env: { HOST: '0.0.0.0' } })).config.server.host).toBe('0.0.0.0');
    const port = await freePort();
    const p = run([], { PORT: String(port) });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      // Another interface of this machine, if it has one, is not served.
      const outside = Object.values(networkInterfaces()).flat().find((a) => a && !a.internal && a.family === 'IPv4');
      if (outside) await expect(fetch(`http://${outside.address}:${port}/healthz`)).rejects.toThrow();
      await expect.poll(() => p.out(), { timeout: 5000, interval: 50 }).toContain('accepts requests without an API key');
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
    const warning = JSON.parse(p.out().split('\n').find((l) => l.includes('accepts requests without an API key'))!) as { host: string; msg: string };
    expect(warning.host).toBe('127.0.0.1');
    expect(warning.msg).toContain('from this machine only');
    expect(warning.msg).toContain('set auth.apiKeys');
    expect(warning.msg).toContain('HOST=0.0.0.0 or --host 0.0.0.0 (in Docker, set HOST)');
  });

  it('--port beats PORT and --host is honoured', async () => {
    const port = await freePort();
    const p = run(['--port', String(port), '--host', '127.0.0.1'], { PORT: '1' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('SIGHUP reloads the config file: new credentials are applied, a broken file changes nothing', async () => {
    const port = await freePort();
    const f = join(dir, 'hup.yaml');
    const conf = (keys: string[]) => `server: { host: 127.0.0.1, port: ${port} }\nstate: { driver: memory }\nproviders:\n  - { id: mock, plugin: mock, credentials: [${keys.join(', ')}] }\n`;
    writeFileSync(f, conf(['sk-hup-key-000000000001']));
    // LOG_LEVEL is an override like --port: a reload must not take it for a change to `server`.
    const p = run(['--config', f], { LOG_LEVEL: 'debug' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      writeFileSync(f, conf(['sk-hup-key-000000000001', 'sk-hup-key-000000000002']));
      p.child.kill('SIGHUP');
      await expect.poll(() => p.out(), { timeout: 5000, interval: 50 }).toContain('config reloaded');
      const line = JSON.parse(p.out().split('\n').find((l) => l.includes('config reloaded'))!);
      expect(line).toMatchObject({ applied: ['providers.mock.credentials'], restartNeeded: [] });
      writeFileSync(f, 'providers: [ {');
      p.child.kill('SIGHUP');
      await expect.poll(() => p.out(), { timeout: 5000, interval: 50 }).toContain('config reload failed: keeping the running config');
      expect(p.out()).not.toContain('sk-hup-key');
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });

  it('regression: --version prints the package version and exits', async () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const p = run(['--version']);
    expect(await p.exited).toBe(0);
    expect(p.out()).toBe(`switchboard ${version}\n`);
  });

  it('regression: LOG_LEVEL overrides server.logLevel and --log-level beats LOG_LEVEL', async () => {
    const port = await freePort();
    const f = join(dir, 'levels.yaml');
    writeFileSync(f, `server: { host: 127.0.0.1, port: ${port}, logLevel: info }\nstate: { driver: memory }\nproviders:\n  - { id: mock, plugin: mock }\n`);
    // The file says info; LOG_LEVEL=error would hide the open-auth warning; the flag lets warnings through.
    const p = run(['--config', f, '--log-level', 'warn'], { LOG_LEVEL: 'error' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
    expect(p.out()).toContain('accepts requests without an API key'); // warn
    expect(p.out()).not.toContain('Switchboard serving'); // info
    // LOG_LEVEL alone beats the file: the warning goes too.
    const q = run(['--config', f], { LOG_LEVEL: 'error' });
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
    } finally {
      q.child.kill('SIGTERM');
    }
    expect(await q.exited).toBe(0);
    expect(q.out()).not.toContain('accepts requests without an API key');
    const bad = run(['--config', f], { LOG_LEVEL: 'loud' });
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('invalid log level "loud" (from LOG_LEVEL)');
  });

  it('SWITCHBOARD_TRUST_PROXY=true reads X-Forwarded-Proto (the console cookie turns Secure) where the file says trustProxy: false', async () => {
    const port = await freePort();
    const f = join(dir, 'proxied.yaml');
    writeFileSync(f, `server: { host: 127.0.0.1, port: ${port}, trustProxy: false }\nstate: { driver: memory }\nauth: { adminKey: sk-cli-admin-0001 }\nproviders:\n  - { id: mock, plugin: mock }\nplugins: { admin: {} }\n`);
    const login = () =>
      fetch(`http://127.0.0.1:${port}/admin/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-host': `127.0.0.1:${port}`, origin: `https://127.0.0.1:${port}` },
        body: JSON.stringify({ key: 'sk-cli-admin-0001' }),
      });
    for (const [env, secure] of [[{}, false], [{ SWITCHBOARD_TRUST_PROXY: 'true' }, true]] as const) {
      const p = run(['--config', f], env);
      try {
        await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
        const r = await login();
        if (secure) {
          expect(r.status).toBe(200);
          expect(r.headers.get('set-cookie')).toMatch(/; Secure/);
        } else {
          // Untrusted, the forwarded https origin is not this server's own (http): refused.
          expect(r.status).toBe(403);
        }
      } finally {
        p.child.kill('SIGTERM');
      }
      expect(await p.exited).toBe(0);
    }
    const bad = run(['--config', f], { SWITCHBOARD_TRUST_PROXY: 'maybe' });
    expect(await bad.exited).toBe(1);
    expect(bad.err()).toContain('invalid SWITCHBOARD_TRUST_PROXY "maybe": expected true or false');
  });

  it('the compiled build loads a TypeScript plugin by path', async () => {
    const port = await freePort();
    const fixtures = new URL('./fixtures/plugins/', import.meta.url).pathname;
    const f = join(dir, 'ts-plugin.yaml');
    writeFileSync(f, `server: { host: 127.0.0.1, port: ${port} }\nproviders:\n  - { id: loud, plugin: ${fixtures}shout-provider.ts }\n`);
    const p = run(['--config', f]);
    try {
      await expect.poll(() => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0), { timeout: 10_000, interval: 100 }).toBe(200);
      const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'loud/loud', messages: [{ role: 'user', content: 'typed' }] }),
      });
      expect(((await res.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe('HEY TYPED');
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
  });
});
