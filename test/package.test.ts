/**
 * The installable package, as a user gets it: `npm pack` of this checkout (the compiled dist/ that
 * vitest's global setup brought up to date), installed into an empty folder from npm's cache, and
 * run from there as `switchboard` with no config of its own, then with plugins from outside the
 * package: a provider package that carries its own copy of `switchboard`, and the example extension.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './helpers/free-port.js';

const repo = process.cwd();
const tmp = mkdtempSync(join(tmpdir(), 'swb-package-'));
const app = join(tmp, 'app'); // the user's folder: no config.yaml, no tsx
const installed = join(app, 'node_modules', 'switchboard');
const bin = join(app, 'node_modules', '.bin', 'switchboard');
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> {
  const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, out, err })));
}

/** `switchboard` serving in the background, with only the environment it is given (PATH aside). */
function serve(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const child = spawn(bin, args, { cwd: opts.cwd, env: { PATH: process.env.PATH, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, exited, out: () => out, err: () => err };
}

/** Until the server answers /healthz; fails at once, with its stderr, if it exits first. */
async function healthy(port: number, server: ReturnType<typeof serve>): Promise<void> {
  let exited: number | null | undefined;
  void server.exited.then((code) => (exited = code));
  for (const until = Date.now() + 10_000; Date.now() < until; await new Promise((r) => setTimeout(r, 100))) {
    if (exited !== undefined) throw new Error(`switchboard exited with ${exited}: ${server.err()}`);
    if ((await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0)) === 200) return;
  }
  throw new Error(`switchboard did not answer on ${port} within 10 s: ${server.err()}`);
}

async function chat(port: number, model: string, key?: string): Promise<{ status: number; headers: Headers; body: Record<string, any> }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }] }),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** Every file under `dir` with its size and modification time: what a run must leave as it was. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => {
      const f = join(e.parentPath, e.name);
      const s = statSync(f);
      return `${relative(dir, f)} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

let files: string[] = [];
let tarball = '';
const timings: Record<string, number> = {};

beforeAll(async () => {
  // --ignore-scripts: prepack would rebuild dist/ from scratch; the global setup has just brought it up to date.
  let t = Date.now();
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], { cwd: repo });
  expect(packed.code, packed.err).toBe(0);
  const info = (JSON.parse(packed.out) as { filename: string; files: { path: string }[] }[])[0];
  files = info.files.map((f) => f.path).sort();
  tarball = join(tmp, info.filename);
  timings.pack = Date.now() - t;

  t = Date.now();
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'switchboard-user', private: true }));
  const install = await run('npm', ['install', tarball, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: app });
  expect(install.code, install.err).toBe(0);
  timings.install = Date.now() - t;
}, 60_000);

afterAll(() => {
  process.stdout.write(`package.test: npm pack ${timings.pack} ms, npm install ${timings.install} ms\n`);
});

describe('the npm package', () => {
  it('holds the compiled JavaScript with its types, the bundled config and the console, and nothing of the tests or benchmarks', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'config.yaml', 'dist/core/main.js', 'dist/core/index.js', 'dist/core/index.d.ts', 'dist/core/kit/provider-kit.d.ts', 'dist/plugins/mock/index.js', 'plugins/admin/console/app.html', 'plugins/admin/console/assets/app.js']) {
      expect(files, f).toContain(f);
    }
    const unwanted = files.filter(
      (f) => /^(test|bench|docs|examples|core|node_modules)\//.test(f) || f.startsWith('dist/bench/') || f.endsWith('.tsbuildinfo') || (/^plugins\//.test(f) && !f.startsWith('plugins/admin/console/')) || (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    expect(unwanted).toEqual([]);
    expect(readFileSync(join(installed, 'dist/core/main.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(statSync(join(installed, 'dist/core/main.js')).mode & 0o111).not.toBe(0); // npm makes the bin executable
    expect(statSync(tarball).size).toBeLessThan(1_000_000);
  });

  it('npx switchboard --version and --help from any folder', async () => {
    const v = await run('npx', ['--no', '--', 'switchboard', '--version'], { cwd: app });
    expect(v.code, v.err).toBe(0);
    expect(v.out).toBe(`switchboard ${version}\n`);
    const h = await run('npx', ['--no', '--', 'switchboard', '--help'], { cwd: app });
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/^Usage: switchboard \[--config FILE\]/);
    expect(h.out).not.toContain('npm start');
    expect(h.out).toContain('SWITCHBOARD_DATA_DIR');
  });

  it('--check with no config here falls back to the bundled config and says so', async () => {
    const c = await run(bin, ['--check'], { cwd: app });
    expect(c.code, c.err).toBe(0);
    expect(c.out).toBe(`${join(installed, 'config.yaml')}: OK (1 providers, 1 model routes)\n`);
    expect(c.err).toContain(`using the bundled ${join(installed, 'config.yaml')}; its relative paths resolve against ${app}`);
  });

  it('serves from environment variables only: the mock answers behind the key, state lands in SWITCHBOARD_DATA_DIR, nothing in the package', async () => {
    const before = snapshot(installed);
    const port = await freePort();
    const data = join(tmp, 'data');
    const server = serve([], { cwd: app, env: { HOST: '127.0.0.1', PORT: String(port), SWITCHBOARD_API_KEY: 'sk-package-test', SWITCHBOARD_DATA_DIR: data } });
    try {
      await healthy(port, server);
      expect((await chat(port, 'default')).status).toBe(401);
      const ok = await chat(port, 'default', 'sk-package-test');
      expect(ok.status).toBe(200);
      expect(ok.body.choices[0].message.content).toBe('ping');
      const started = JSON.parse(server.out().split('\n').find((l) => l.includes('Switchboard serving'))!) as Record<string, unknown>;
      expect(started).toMatchObject({ config: join(installed, 'config.yaml'), bundledConfig: true, providers: ['mock'] });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited).toBe(0);
    expect(existsSync(join(data, 'state.json'))).toBe(true);
    expect(existsSync(join(app, 'data'))).toBe(false);
    expect(snapshot(installed)).toEqual(before);
  });

  it('loads a provider package by name and by path, sharing the running core even with a copy of switchboard of its own', async () => {
    const pkg = join(app, 'node_modules', 'outside-provider');
    // Its own physical switchboard, as an npm install of a plugin that depends on it would leave: it must never load.
    const copy = join(pkg, 'node_modules', 'switchboard');
    mkdirSync(copy, { recursive: true });
    writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: 'switchboard', version: '0.0.1', type: 'module', exports: { '.': './index.js', './package.json': './package.json' } }));
    writeFileSync(join(copy, 'index.js'), 'throw new Error("a second copy of switchboard was loaded");\n');
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'outside-provider', version: '1.0.0', type: 'module', exports: './index.js', peerDependencies: { switchboard: '^0.1.0' } }));
    writeFileSync(
      join(pkg, 'index.js'),
      `import { CONTRACT_VERSION, UpstreamError, defineProvider, makeChunk } from 'switchboard';
import meta from 'switchboard/package.json' with { type: 'json' };
export default defineProvider({
  kind: 'provider',
  contractVersion: CONTRACT_VERSION,
  name: 'outside',
  optionsSchema: { type: 'object', properties: {} },
  create: () => ({
    listModels: () => [{ id: 'ok' }, { id: 'limited' }],
    async *chat(request, call) {
      if (call.model === 'limited') throw new UpstreamError('slow down', { status: 429, headers: { 'retry-after': '120' }, body: '{"error":{"message":"slow down"}}' });
      const base = { id: 'chatcmpl-outside', created: 0, model: call.model };
      yield makeChunk(base, { role: 'assistant', content: meta.name + ' ' + meta.version + ' at ' + import.meta.resolve('switchboard') });
      yield makeChunk(base, {}, 'stop');
    },
  }),
});
`,
    );
    const port = await freePort();
    const config = join(app, 'outside.yaml');
    writeFileSync(
      config,
      [
        `server: { host: 127.0.0.1, port: ${port} }`,
        'auth: { apiKeys: [sk-outside] }',
        'state: { driver: memory }',
        'providers:',
        '  - { id: byname, plugin: outside-provider, apiKey: upstream-key-1 }',
        '  - { id: bypath, plugin: ./node_modules/outside-provider/index.js }',
        'plugins:',
        `  ${join(repo, 'examples', 'extension-hello')}: {}`,
        '',
      ].join('\n'),
    );
    const server = serve(['--config', config], { cwd: app });
    try {
      await healthy(port, server);
      const core = new URL(`file://${join(installed, 'dist', 'core', 'index.js')}`).href;
      for (const model of ['byname/ok', 'bypath/ok']) {
        const ok = await chat(port, model, 'sk-outside');
        expect(ok.status, JSON.stringify(ok.body)).toBe(200);
        expect(ok.body.choices[0].message.content).toBe(`switchboard ${version} at ${core}`);
      }
      // The UpstreamError it threw is the core's: a 429 rests the only credential, and the client is told to wait.
      for (let i = 0; i < 2; i++) {
        const limited = await chat(port, 'byname/limited', 'sk-outside');
        expect(limited.status, JSON.stringify(limited.body)).toBe(429);
        expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(60);
      }
      // The example extension, by path: its folder has no node_modules, so only the shared core can serve its import.
      expect((await fetch(`http://127.0.0.1:${port}/v1/hello?name=Ada`)).status).toBe(401);
      const hello = await fetch(`http://127.0.0.1:${port}/v1/hello?name=Ada`, { headers: { authorization: 'Bearer sk-outside' } });
      expect(await hello.json()).toEqual({ message: 'Hello, Ada!', providers: ['byname', 'bypath'] });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited, server.err()).toBe(0);
  });

  it('loads the example extension by package name, found from the working directory when the config folder has none', async () => {
    cpSync(join(repo, 'examples', 'extension-hello'), join(app, 'node_modules', 'switchboard-extension-hello'), { recursive: true, filter: (f) => !f.includes('node_modules') });
    const elsewhere = join(tmp, 'etc');
    mkdirSync(elsewhere, { recursive: true });
    const port = await freePort();
    const config = join(elsewhere, 'hello.yaml');
    writeFileSync(config, `server: { host: 127.0.0.1, port: ${port} }\nstate: { driver: memory }\nproviders: [{ id: mock, plugin: mock }]\nplugins:\n  switchboard-extension-hello: { greeting: Hi }\n`);
    const server = serve(['--config', config], { cwd: app });
    try {
      await healthy(port, server);
      const hello = await fetch(`http://127.0.0.1:${port}/v1/hello?name=Bob`);
      expect(await hello.json()).toEqual({ message: 'Hi, Bob!', providers: ['mock'] });
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited, server.err()).toBe(0);
  });

  it('the examples type-check against the packed declarations (// @ts-check, JSDoc types from switchboard and switchboard/testing)', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const example = join(app, 'node_modules', 'switchboard-extension-hello', 'index.js');
    if (!existsSync(example)) cpSync(join(repo, 'examples', 'extension-hello'), join(app, 'node_modules', 'switchboard-extension-hello'), { recursive: true });
    // The Ollama provider with its fake and its tests (switchboard/testing's types too), outside
    // node_modules, where tsc checks the JavaScript files they import as well.
    const ollama = join(app, 'provider-ollama');
    cpSync(join(repo, 'examples', 'provider-ollama'), ollama, { recursive: true });
    const ollamaFiles = ['index.js', 'test/fake-ollama.js', 'test/conformance.test.js'].map((f) => join(ollama, f));
    const args = ['--noEmit', '--allowJs', '--checkJs', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022'];
    const checked = await run(process.execPath, [tsc, ...args, '--typeRoots', join(repo, 'node_modules', '@types'), '--types', 'node', example, ...ollamaFiles], { cwd: app });
    expect(checked.out + checked.err).toBe('');
    expect(checked.code).toBe(0);
  }, 30_000);

  it('a .ts plugin without tsx installed is refused with what to do', async () => {
    writeFileSync(join(app, 'typed.ts'), 'export default {};\n');
    writeFileSync(join(app, 'typed.yaml'), 'providers:\n  - { id: t, plugin: ./typed.ts }\n');
    const c = await run(bin, ['--check', '--config', 'typed.yaml'], { cwd: app });
    expect(c.code).toBe(1);
    expect(c.err).toContain('providers[0].plugin: plugin "./typed.ts" cannot load: it is TypeScript, and no TypeScript loader is installed: compile it to JavaScript (tsc) and name the .js file, or install tsx');
  });
});
