/**
 * The installable package, as a user gets it: `npm pack` of this checkout (the compiled dist/ that
 * vitest's global setup brought up to date), installed into an empty folder from npm's cache, and
 * run from there as `switchboard` with no config of its own, then with plugins from outside the
 * package: a provider package that carries its own copy of `switchboard`, the example extension,
 * and the Ollama example provider (by name and by path, against its fake Ollama), whose conformance
 * file also runs under `node --test` with `switchboard/testing` from the installed tarball. Last,
 * the Docker image's runtime stage, replayed from the Dockerfile on the same tarball.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, delimiter, dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHECKS } from '../core/testing/index.js';
import { envOf, instructions, stages } from './helpers/dockerfile.js';
import { freePort } from './helpers/free-port.js';
import { spawnCaptured } from './helpers/spawned.js';

/** What the test imports of the Ollama example's fake (plain JavaScript, loaded by path). */
interface FakeOllamaModule {
  OLLAMA_MODEL: string;
  startFakeOllama(): Promise<{ url: string; reply: { pieces: string[] }; calls: readonly { body: any }[]; close(): Promise<void> }>;
}

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
  const p = spawnCaptured(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  return p.exited.then((code) => ({ code, out: p.out(), err: p.err() }));
}

/** `switchboard` (or `cmd`) serving in the background, with only the environment it is given (PATH aside). */
function serve(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }, cmd = bin) {
  return spawnCaptured(cmd, args, { cwd: opts.cwd, env: { PATH: process.env.PATH, ...opts.env } });
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

function chatRequest(port: number, model: string, key: string | undefined, stream: boolean): Promise<Response> {
  return fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'ping' }], ...(stream && { stream: true }) }),
  });
}

async function chat(port: number, model: string, key?: string): Promise<{ status: number; headers: Headers; body: Record<string, any> }> {
  const res = await chatRequest(port, model, key, false);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, any> };
}

/** A streamed chat: its status, content type, and the text of its deltas joined (after `data: [DONE]`). */
async function chatStream(port: number, model: string, key?: string): Promise<{ status: number; type: string | null; text: string; done: boolean }> {
  const res = await chatRequest(port, model, key, true);
  const body = await res.text();
  const data = body.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6));
  const text = data.filter((d) => d !== '[DONE]').map((d) => (JSON.parse(d) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '').join('');
  return { status: res.status, type: res.headers.get('content-type'), text, done: data.at(-1) === '[DONE]' };
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
  // The packed tarball, the installed app and the replayed image: tens of MB per run.
  rmSync(tmp, { recursive: true, force: true });
  process.stdout.write(`package.test: npm pack ${timings.pack} ms, npm install ${timings.install} ms, node --test ${timings.nodeTest} ms, image npm ci ${timings.npmCi} ms\n`);
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

  it('runs the Ollama example provider by package name and by path, streamed and not, against a fake Ollama', async () => {
    // The example as a user would have it twice: installed as a package, and as a folder of their own.
    const noModules = (f: string) => !f.split(sep).includes('node_modules');
    cpSync(join(repo, 'examples', 'provider-ollama'), join(app, 'node_modules', 'switchboard-provider-ollama'), { recursive: true, filter: noModules });
    cpSync(join(repo, 'examples', 'provider-ollama'), join(app, 'provider-ollama'), { recursive: true, filter: noModules });
    // The example's own fake Ollama, a real HTTP server here in the test process.
    const fake = (await import(join(repo, 'examples', 'provider-ollama', 'test', 'fake-ollama.js'))) as FakeOllamaModule;
    const up = await fake.startFakeOllama();
    const port = await freePort();
    const config = join(app, 'ollama.yaml');
    writeFileSync(
      config,
      [
        `server: { host: 127.0.0.1, port: ${port} }`,
        'auth: { apiKeys: [sk-ollama-package] }',
        'state: { driver: memory }',
        'providers:',
        `  - { id: byname, plugin: switchboard-provider-ollama, baseUrl: "${up.url}" }`,
        `  - { id: bypath, plugin: ./provider-ollama/index.js, baseUrl: "${up.url}" }`,
        '',
      ].join('\n'),
    );
    const server = serve(['--config', config], { cwd: app });
    try {
      await healthy(port, server);
      const text = up.reply.pieces.join('');
      for (const id of ['byname', 'bypath']) {
        const model = `${id}/${fake.OLLAMA_MODEL}`;
        const whole = await chat(port, model, 'sk-ollama-package');
        expect(whole.status, JSON.stringify(whole.body)).toBe(200);
        expect(whole.body.choices[0].message.content).toBe(text);
        const streamed = await chatStream(port, model, 'sk-ollama-package');
        expect(streamed.status, streamed.text).toBe(200);
        expect(streamed.type).toMatch(/^text\/event-stream/);
        expect(streamed.text).toBe(text);
        expect(streamed.done).toBe(true);
      }
      // Each answer came from Ollama's /api/chat, the whole one through complete() (stream: false).
      expect(up.calls.map((c) => `${c.body.model} ${c.body.stream}`)).toEqual([false, true, false, true].map((s) => `${fake.OLLAMA_MODEL} ${s}`));
    } finally {
      server.child.kill('SIGTERM');
      await up.close();
    }
    expect(await server.exited, server.err()).toBe(0);
  });

  it('switchboard/testing from the installed package: the Ollama example’s conformance file passes under node --test, every check reported', async () => {
    // The example folder has no node_modules of its own: `switchboard` and `switchboard/testing`
    // resolve, walking up, to the tarball installed in the app (a real folder, not a link here).
    const dir = join(app, 'provider-ollama');
    if (!existsSync(join(dir, 'test', 'conformance.test.js'))) cpSync(join(repo, 'examples', 'provider-ollama'), dir, { recursive: true, filter: (f) => !f.split(sep).includes('node_modules') });
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
    expect(lstatSync(installed).isSymbolicLink()).toBe(false);
    // Not under vitest: without VITEST the kit picks node:test (an undefined variable is left out).
    const env = Object.fromEntries(Object.keys(process.env).filter((k) => k.startsWith('VITEST') || k === 'NODE_OPTIONS').map((k) => [k, undefined]));
    const where = await run(process.execPath, ['--input-type=module', '-e', "for (const s of ['switchboard', 'switchboard/testing']) console.log(import.meta.resolve(s))"], { cwd: dir, env });
    expect(where.out).toBe(`${pathToFileURL(join(installed, 'dist/core/index.js')).href}\n${pathToFileURL(join(installed, 'dist/core/testing/index.js')).href}\n`);
    const t = Date.now();
    const tested = await run(process.execPath, ['--test', '--test-reporter=tap', 'test/conformance.test.js'], { cwd: dir, env });
    timings.nodeTest = Date.now() - t;
    expect(tested.err).toBe('');
    expect(tested.code, tested.out).toBe(0);
    const title = (c: (typeof CHECKS)[number]) => (typeof c.title === 'function' ? c.title({ kinds: {} } as never) : c.title);
    CHECKS.forEach((c, i) => expect(tested.out).toContain(`ok ${i + 1} - ${title(c)}`));
    expect(tested.out).toMatch(new RegExp(`^# pass ${CHECKS.length}$`, 'm'));
    expect(tested.out).toMatch(/^# fail 0$/m);
  }, 60_000);
});

/**
 * The Docker image without Docker: the runtime stage's instructions, read from the Dockerfile and
 * replayed in order on this machine inside a folder that stands for the image's `/` (every
 * absolute path in them moves under it), with the build stage's output (the tarball and the
 * lockfile) put where its COPY takes it from. Then the image's CMD runs from its WORKDIR with the
 * image's ENV, and its HEALTHCHECK probes it. What cannot run here is skipped and named: USER and
 * chown (no root here), and `npm cache clean` (it would empty this machine's cache). An instruction
 * or command this replay does not know fails the test, so a Dockerfile change is replayed or seen.
 */
describe('the Docker image, its runtime stage replayed without Docker', () => {
  it('installs the tarball with production dependencies only, serves the bundled mock as CMD from WORKDIR with the image ENV, state in /data, HEALTHCHECK 0', async () => {
    const all = instructions(readFileSync(join(repo, 'Dockerfile'), 'utf8'));
    const [build, runtime] = [stages(all).at(0)!, stages(all).at(-1)!];
    const root = join(tmp, 'image');
    const inRoot = (s: string) => s.replace(/(^|\s)\//g, `$1${root}/`);
    const inRootPath = (p: string) => (p.startsWith('/') ? join(root, p) : p);
    mkdirSync(join(root, 'usr', 'local', 'bin'), { recursive: true }); // what the base image has
    mkdirSync(join(root, 'tmp'));
    // No npm configuration or test runner of this process leaks in; the node the test runs with.
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('VITEST') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS' && k !== 'NODE_ENV')) as Record<string, string>;
    const imagePath = [join(root, 'usr', 'local', 'bin'), dirname(process.execPath), '/usr/bin', '/bin'].join(delimiter);

    const env: Record<string, string> = {};
    let workdir = root;
    let cmd: string[] = [];
    let healthcheck: string[] = [];
    const skipped: string[] = [];
    for (const ins of runtime.body) {
      if (ins.keyword === 'ENV') for (const [k, v] of Object.entries(envOf([ins]))) env[k] = inRootPath(v);
      else if (ins.keyword === 'COPY') {
        // The build stage's output: it packs into a folder and copies the lockfile beside the tarball.
        const m = /^--from=(\S+) (\S+) (\S+)$/.exec(ins.args);
        expect(m?.[1], ins.args).toBe(build.name);
        const from = m![2].replace(/\/$/, '');
        const built = build.body.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');
        expect(built).toContain(`npm pack --pack-destination ${from}`);
        expect(built).toContain(`cp package-lock.json ${from}/`);
        const to = join(root, m![3]);
        mkdirSync(to, { recursive: true });
        cpSync(tarball, join(to, basename(tarball)));
        cpSync(join(repo, 'package-lock.json'), join(to, 'package-lock.json'));
      } else if (ins.keyword === 'RUN') {
        let cwd = root;
        for (const command of ins.args.split(' && ')) {
          const [word, sub] = command.split(' ');
          if (word === 'chown' || (word === 'npm' && sub === 'cache')) {
            skipped.push(command);
            continue;
          }
          expect(['mkdir', 'tar', 'cp', 'cd', 'npm', 'rm', 'chmod', 'ln'], `the runtime stage runs \`${command}\`, which this replay does not know`).toContain(word);
          let line = inRoot(command);
          expect(line.split(' ').filter((w) => w.startsWith('/') && !w.startsWith(`${root}/`)), line).toEqual([]);
          if (word === 'cd') {
            cwd = line.slice(3);
            continue;
          }
          if (word === 'npm') {
            expect(command).toMatch(/^npm ci --omit=dev\b/);
            line = line.replace(/^npm ci/, 'npm ci --prefer-offline --loglevel=error');
          }
          const t = Date.now();
          const done = await run('sh', ['-c', line], { cwd, env: { ...base, ...env } });
          if (word === 'npm') timings.npmCi = Date.now() - t;
          expect(done.code, `${command}: ${done.err}`).toBe(0);
        }
      } else if (ins.keyword === 'WORKDIR') workdir = inRootPath(ins.args);
      else if (ins.keyword === 'CMD') cmd = JSON.parse(ins.args) as string[];
      else if (ins.keyword === 'HEALTHCHECK') healthcheck = JSON.parse(/CMD (\[.*\])$/.exec(ins.args)![1]) as string[];
      else if (ins.keyword === 'USER') skipped.push(`USER ${ins.args}`);
      else expect(['VOLUME', 'EXPOSE', 'STOPSIGNAL'], `the runtime stage has ${ins.keyword}, which this replay does not know`).toContain(ins.keyword);
    }
    expect(skipped.map((s) => s.split(' ').slice(0, 2).join(' '))).toEqual(['npm cache', 'chown node:node', 'USER node']);

    // /app holds the package and the lockfile's production dependencies, not one development one.
    const appDir = join(root, 'app');
    const lock = JSON.parse(readFileSync(join(appDir, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }> };
    const entries = Object.entries(lock.packages).filter(([p]) => p.startsWith('node_modules/'));
    const devPresent = entries.filter(([p, e]) => e.dev && existsSync(join(appDir, p))).map(([p]) => p);
    const prodMissing = entries.filter(([p, e]) => !e.dev && !e.optional && !e.devOptional && !existsSync(join(appDir, p))).map(([p]) => p);
    expect(devPresent).toEqual([]);
    expect(prodMissing).toEqual([]);
    const devDeps = Object.keys((JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);
    expect(devDeps).toEqual(expect.arrayContaining(['vitest', 'typescript', 'tsx']));
    expect(devDeps.filter((d) => existsSync(join(appDir, 'node_modules', d)))).toEqual([]);

    // CMD from WORKDIR (empty, nothing mounted) with the image's ENV, and what `docker run -e` adds.
    // HOST: the image's 0.0.0.0 is every interface of the container's own network; here it would
    // be this machine's, so loopback. Every other variable is the image's, paths moved under root.
    expect(readdirSync(workdir)).toEqual([]);
    expect(env.HOST).toBe('0.0.0.0');
    const port = await freePort();
    const runEnv = { PATH: imagePath, ...env, HOST: '127.0.0.1', PORT: String(port), SWITCHBOARD_API_KEY: 'sk-image-test' };
    expect(runEnv).toMatchObject({ SWITCHBOARD_DATA_DIR: join(root, 'data'), MALLOC_ARENA_MAX: '2', NODE_OPTIONS: '--max-semi-space-size=8', NODE_ENV: 'production' });
    expect(cmd).toEqual(['switchboard']);
    expect(realpathSync(join(root, 'usr', 'local', 'bin', cmd[0]))).toBe(join(appDir, 'dist', 'core', 'main.js'));
    const server = serve(cmd.slice(1), { cwd: workdir, env: runEnv }, cmd[0]);
    try {
      await healthy(port, server);
      expect((await chat(port, 'default')).status).toBe(401);
      const ok = await chat(port, 'default', 'sk-image-test');
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.choices[0].message.content).toBe('ping');
      const started = JSON.parse(server.out().split('\n').find((l) => l.includes('Switchboard serving'))!) as Record<string, unknown>;
      expect(started).toMatchObject({ config: join(appDir, 'config.yaml'), bundledConfig: true, providers: ['mock'] });
      // The HEALTHCHECK as Docker runs it: in the container, with its environment.
      expect(healthcheck.slice(0, 2)).toEqual(['node', '-e']);
      const probe = await run(healthcheck[0], healthcheck.slice(1), { cwd: workdir, env: runEnv });
      expect(probe.code, probe.err).toBe(0);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exited, server.err()).toBe(0);
    expect(existsSync(join(root, 'data', 'state.json'))).toBe(true);
    expect(readdirSync(workdir)).toEqual([]);
  }, 60_000);
});
