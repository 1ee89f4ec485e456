/**
 * The deployment files (Dockerfile, docker-compose.yml, deploy/nginx.conf, deploy/switchboard.service)
 * checked without Docker or systemd: the Dockerfile linted by dockerfile-utils and read for the
 * properties that matter, the compose topology and the unit's settings read from their files, and
 * deploy/nginx.conf run for real (Debian's nginx) in front of two Switchboard processes sharing
 * Redis. Where nginx is missing the last part skips, except under CI, where .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { validate, ValidationSeverity, type ValidatorSettings } from 'dockerfile-utils';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { configSchema } from '../core/config/schema.js';
import { envOf, instructions, stages, type Instruction } from './helpers/dockerfile.js';
import { freePort } from './helpers/free-port.js';

const root = resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(join(root, file), 'utf8');
const pkg = JSON.parse(read('package.json')) as { bin?: Record<string, string>; scripts: Record<string, string>; engines: { node: string } };

/** `npm start`'s memory settings, which every way of running Switchboard repeats. */
const START = pkg.scripts.start;
const ARENAS = /MALLOC_ARENA_MAX=(\d+)/.exec(START)![1];
const SEMI_SPACE = /--max-semi-space-size=(\d+)/.exec(START)![1];
const GRACE_MS = (configSchema.properties as { server: { properties: { shutdownGraceMs: { default: number } } } }).server.properties.shutdownGraceMs.default;

// ---------------------------------------------------------------------------------------------
// Dockerfile

/** Every configurable check at error severity: a warning is not a thing to live with either. */
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

/** Run `node -e <script>` as the image's HEALTHCHECK does; its exit code. */
function runProbe(script: string, env: Record<string, string>): Promise<number | null> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    child.on('exit', (code) => done(code));
  });
}

/** A server answering `path` with `status` (anything else 404); its port. */
async function probeTarget(path: string, status: number): Promise<{ port: number; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === path ? status : 404).end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, close: () => new Promise((r) => server.close(() => r())) };
}

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const all = instructions(text);
  const [build, runtime] = [stages(all).at(0)!, stages(all).at(-1)!];
  const runs = (body: Instruction[]) => body.filter((i) => i.keyword === 'RUN').map((i) => i.args).join(' && ');

  it('lints clean with dockerfile-utils, every configurable check at error severity', () => {
    const problems = validate(text, STRICT).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it('builds in one stage (npm ci, build, pack) and runs the packed tarball in another', () => {
    expect(stages(all).length).toBeGreaterThanOrEqual(2);
    // both stages on Debian slim Node, one major version for both, one the package supports
    for (const s of [build, runtime]) expect(s.from).toBe('node:${NODE_MAJOR}-bookworm-slim');
    const major = Number(/^ARG NODE_MAJOR=(\d+)$/m.exec(text)?.[1]);
    expect(major === 20 || major >= 22, `NODE_MAJOR=${major} against engines ${pkg.engines.node}`).toBe(true);
    expect(build.name).toBe('build');
    expect(runs(build.body)).toMatch(/npm ci\b[\s\S]*npm run build[\s\S]*npm pack\b/);
    // the runtime takes the tarball (and the lockfile) from the build, and only production deps
    expect(runtime.body.find((i) => i.keyword === 'COPY')?.args).toMatch(/^--from=build /);
    expect(runs(runtime.body)).toMatch(/tar -xzf \/tmp\/pkg\/switchboard-\*\.tgz/);
    expect(runs(runtime.body)).toMatch(/npm ci --omit=dev\b/);
    expect(runs(runtime.body)).not.toMatch(/npm run build|npm install(?! -g)/);
  });

  it('runs as a non-root user, listening on every interface, with state in the /data volume', () => {
    const users = runtime.body.filter((i) => i.keyword === 'USER');
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)!.args).not.toMatch(/^(root|0)(:|$)/);
    // nothing runs after the switch that would need root, and /data belongs to that user
    const lastRun = runtime.body.map((i) => i.keyword).lastIndexOf('RUN');
    expect(runtime.body.indexOf(users.at(-1)!)).toBeGreaterThan(lastRun);
    expect(runs(runtime.body)).toContain(`chown ${users.at(-1)!.args}:${users.at(-1)!.args} /data`);
    expect(runtime.body.filter((i) => i.keyword === 'VOLUME').map((i) => i.args)).toEqual(['/data']);
    expect(runtime.body.filter((i) => i.keyword === 'EXPOSE').map((i) => i.args)).toEqual(['8000']);
    const env = envOf(runtime.body);
    expect(env).toMatchObject({ HOST: '0.0.0.0', SWITCHBOARD_DATA_DIR: '/data', NODE_ENV: 'production', MALLOC_ARENA_MAX: ARENAS });
    expect(env.NODE_OPTIONS).toBe(`--max-semi-space-size=${SEMI_SPACE}`);
    // not PORT: it would beat a mounted config's server.port
    expect(env.PORT).toBeUndefined();
    expect(runtime.body.find((i) => i.keyword === 'WORKDIR')?.args).toBe('/config');
  });

  it('node accepts the image NODE_OPTIONS (V8 flags are allowed there only from a list)', () => {
    const env = envOf(runtime.body);
    const r = spawnSync(process.execPath, ['-e', 'process.stdout.write("ok")'], { env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: env.NODE_OPTIONS }, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok');
  });

  it('starts the package bin, linked to the file package.json names', () => {
    expect(runtime.body.filter((i) => i.keyword === 'CMD').map((i) => JSON.parse(i.args))).toEqual([['switchboard']]);
    expect(runtime.body.some((i) => i.keyword === 'ENTRYPOINT')).toBe(false);
    const target = pkg.bin?.switchboard ?? 'dist/core/main.js';
    expect(target.replace(/^\.\//, '')).toBe('dist/core/main.js');
    expect(runs(runtime.body)).toContain(`ln -s /app/${target.replace(/^\.\//, '')} /usr/local/bin/switchboard`);
    expect(existsSync(join(root, 'dist/core/main.js'))).toBe(true);
    expect(runtime.body.find((i) => i.keyword === 'STOPSIGNAL')?.args).toBe('SIGTERM');
  });

  it('HEALTHCHECK probes /healthz with node: 0 when it answers 200, 1 on 500 or no server', async () => {
    const hc = runtime.body.filter((i) => i.keyword === 'HEALTHCHECK');
    expect(hc).toHaveLength(1);
    const m = /^(.*?)CMD (\[.*\])$/.exec(hc[0].args)!;
    expect(m[1]).toMatch(/--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+/);
    const argv = JSON.parse(m[2]) as string[];
    expect(argv.slice(0, 2)).toEqual(['node', '-e']);
    expect(argv[2]).toContain("'/healthz'");

    const ok = await probeTarget('/healthz', 200);
    const failing = await probeTarget('/healthz', 500);
    try {
      expect(await runProbe(argv[2], { PORT: String(ok.port) })).toBe(0);
      expect(await runProbe(argv[2], { PORT: String(failing.port) })).toBe(1);
    } finally {
      await Promise.all([ok.close(), failing.close()]);
    }
    expect(await runProbe(argv[2], { PORT: String(await freePort()) })).toBe(1);
  });

  it('.dockerignore keeps out state, builds and secrets but nothing the build reads', () => {
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
    for (const p of ['.git', 'node_modules', 'dist', 'data', '.env', '*.tgz']) expect(ignored).toContain(p);
    const buildTsconfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    const needed = ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'config.yaml', ...buildTsconfig.include];
    const hits = needed.filter((n) => ignored.some((p) => n === p || n.startsWith(`${p}/`)));
    expect(hits).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml and deploy/nginx.conf

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
  const services = compose.services;
  const switchboards = Object.entries(services).filter(([, s]) => s.image === 'switchboard:local');
  const nginxConf = read('deploy/nginx.conf');

  it('two Switchboard instances from the image, sharing one Redis through the environment', () => {
    expect(switchboards.map(([name]) => name)).toEqual(['switchboard-1', 'switchboard-2']);
    expect(services.redis.image).toMatch(/^redis:7\b/);
    expect(services.redis.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    const dataVolumes = new Set<string>();
    for (const [name, s] of switchboards) {
      expect(s.build, name).toBe('.');
      expect(s.environment, name).toMatchObject({ SWITCHBOARD_STATE_DRIVER: 'redis', REDIS_URL: 'redis://redis:6379' });
      expect(s.environment?.SWITCHBOARD_API_KEY, name).toMatch(/^\$\{SWITCHBOARD_API_KEY:\?/);
      expect(s.depends_on, name).toEqual({ redis: { condition: 'service_healthy' } });
      expect(s.healthcheck?.test.join(' '), name).toMatch(/^CMD node -e .*\/readyz/);
      expect(seconds(s.stop_grace_period!) * 1000, name).toBeGreaterThan(GRACE_MS);
      const data = s.volumes?.find((v) => v.endsWith(':/data'));
      expect(data, name).toBeDefined();
      dataVolumes.add(data!.split(':')[0]);
    }
    expect(dataVolumes.size).toBe(2); // a volume each
    for (const v of dataVolumes) expect(compose.volumes).toHaveProperty(v);
  });

  it('nginx in front, started once both instances are healthy, with both in its upstream', () => {
    const nginx = services.nginx;
    expect(nginx.volumes).toContain('./deploy/nginx.conf:/etc/nginx/nginx.conf:ro');
    expect(nginx.depends_on).toEqual(Object.fromEntries(switchboards.map(([name]) => [name, { condition: 'service_healthy' }])));
    expect(nginx.healthcheck?.test.join(' ')).toContain('/healthz');
    const upstream = /upstream switchboard \{([^}]*)\}/.exec(nginxConf)![1];
    const servers = [...upstream.matchAll(/^\s*server (\S+)/gm)].map((m) => m[1]);
    expect(servers).toEqual(switchboards.map(([name]) => `${name}:8000`));
    // the published port is the one nginx listens on
    const listen = /^\s*listen (\d+);/m.exec(nginxConf)![1];
    expect(nginx.ports?.[0]).toMatch(new RegExp(`:${listen}$`));
  });

  it('nginx.conf: streams unbuffered, keeps connections to the instances, forwards what trustProxy reads', () => {
    const location = /location \/ \{([\s\S]*?)\n    \}/.exec(nginxConf)![1];
    const directives = new Map([...location.matchAll(/^\s*([a-z_]+) ([^;]*);/gm)].map((m) => [`${m[1]} ${m[2].split(' ')[0]}`, m[2]]));
    expect(directives.get('proxy_pass http://switchboard')).toBe('http://switchboard');
    expect(directives.get('proxy_http_version 1.1')).toBe('1.1');
    expect(directives.get('proxy_set_header Connection')).toBe('Connection ""');
    expect(directives.get('proxy_buffering off')).toBe('off');
    expect(directives.get('proxy_request_buffering off')).toBe('off');
    // as long as the longest stream (Grok's total timeout, 600 s), both ways
    for (const d of ['proxy_read_timeout', 'proxy_send_timeout']) expect(Number(new RegExp(`${d} (\\d+)s;`).exec(location)?.[1]), d).toBeGreaterThanOrEqual(600);
    for (const [header, value] of [
      ['Host', '$http_host'],
      ['X-Forwarded-Host', '$http_host'],
      ['X-Forwarded-Proto', '$scheme'],
      ['X-Forwarded-For', '$remote_addr'],
    ]) {
      expect(location, header).toMatch(new RegExp(`proxy_set_header ${header} \\${value};`));
    }
    expect(nginxConf).toMatch(/upstream switchboard \{[^}]*keepalive \d+;/);
    expect(nginxConf).toMatch(/upstream switchboard \{[^}]*zone switchboard \S+;/);
    expect(nginxConf).not.toMatch(/^\s*gzip on/m);
    // room for the largest body Switchboard takes (server.bodyLimit's default, 20 MiB)
    const bodyLimit = (configSchema.properties as { server: { properties: { bodyLimit: { default: number } } } }).server.properties.bodyLimit.default;
    expect(Number(/client_max_body_size (\d+)m;/.exec(nginxConf)![1]) * 2 ** 20).toBeGreaterThanOrEqual(bodyLimit);
  });
});

// ---------------------------------------------------------------------------------------------
// deploy/switchboard.service

/** A unit file's sections: key -> every value given (systemd keys may repeat). */
function unitFile(text: string): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const s = /^\[(.+)\]$/.exec(line);
    if (s) {
      section = s[1];
      out[section] ??= {};
      continue;
    }
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (!kv) throw new Error(`not a unit line: ${line}`);
    (out[section][kv[1]] ??= []).push(kv[2]);
  }
  return out;
}

describe('deploy/switchboard.service', () => {
  const text = read('deploy/switchboard.service');
  const unit = unitFile(text);
  const service = unit.Service;
  const one = (key: string) => {
    expect(service[key], key).toHaveLength(1);
    return service[key][0];
  };
  const environment = Object.fromEntries((service.Environment ?? []).map((e) => e.split(/=(.*)/s).slice(0, 2)));

  it('runs the installed bin as a dynamic user, its state in StateDirectory', () => {
    expect(one('DynamicUser')).toBe('yes');
    expect(service.User).toBeUndefined();
    expect(one('StateDirectory')).toBe('switchboard');
    expect(environment.SWITCHBOARD_DATA_DIR).toBe('/var/lib/switchboard');
    expect(one('ExecStart')).toMatch(/(^|\/| )switchboard$/);
    expect(one('EnvironmentFile')).toBe('-/etc/switchboard/env');
    expect(environment).toMatchObject({ NODE_ENV: 'production', MALLOC_ARENA_MAX: ARENAS, NODE_OPTIONS: `--max-semi-space-size=${SEMI_SPACE}` });
    expect(unit.Install.WantedBy).toEqual(['multi-user.target']);
  });

  it('reloads on SIGHUP, drains on SIGTERM within TimeoutStopSec, restarts on failure', () => {
    expect(one('ExecReload')).toBe('/bin/kill -HUP $MAINPID');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number(one('TimeoutStopSec')) * 1000).toBeGreaterThan(GRACE_MS);
    expect(one('Restart')).toMatch(/^(on-failure|always)$/);
    expect(Number(unit.Unit.StartLimitBurst?.[0])).toBeGreaterThan(0);
  });

  it('is hardened, short of what breaks Node (no MemoryDenyWriteExecute: the JIT)', () => {
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
      ['PrivateDevices', 'yes'],
      ['SystemCallErrorNumber', 'EPERM'],
    ]) {
      expect(one(key), key).toBe(value);
    }
    expect(service.MemoryDenyWriteExecute ?? ['no']).toEqual(['no']);
    expect(service.CapabilityBoundingSet).toEqual(['']);
  });

  // systemd's own parser, where it is installed: unknown keys and bad values are only warnings to it
  it.skipIf(!existsSync('/usr/bin/systemd-analyze'))('systemd-analyze verify has nothing to say', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-unit-'));
    try {
      writeFileSync(join(dir, 'switchboard.service'), text);
      const r = spawnSync('/usr/bin/systemd-analyze', ['verify', join(dir, 'switchboard.service')], { encoding: 'utf8', timeout: 10_000 });
      expect(r.stderr.split('\n').filter((l) => l.includes('switchboard.service'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// nginx.conf for real: two Switchboard processes sharing Redis behind it

const NGINX = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'].map((d) => join(d, 'nginx')).find((p) => existsSync(p));
// Under CI nginx is installed by .ci/run and this suite never skips: a missing nginx fails.
if (process.env.CI && !NGINX) throw new Error('CI: nginx is missing (.ci/run installs it)');

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_KEY = 'sb-deploy-test-admin';

interface Instance {
  child: ChildProcess;
  port: number;
  exited: Promise<number | null>;
}

/** `node dist/core/main.js` on a free port; resolves once it logs where it serves. */
function startInstance(config: string): Promise<Instance> {
  const env = { ...process.env };
  for (const k of ['HOST', 'PORT', 'LOG_LEVEL', 'SWITCHBOARD_CONFIG', 'GROK_SERVER_HOST', 'GROK_SERVER_PORT', 'NODE_OPTIONS']) delete env[k];
  const child = spawn(process.execPath, [`--max-semi-space-size=${SEMI_SPACE}`, 'dist/core/main.js', '--config', config, '--port', '0'], {
    cwd: root,
    env: { ...env, MALLOC_ARENA_MAX: ARENAS },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((done, fail) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => fail(new Error(`no start-up line in 8 s: ${out}${err}`)), 8_000);
    child.stderr!.on('data', (d: Buffer) => (err += d));
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
      const m = /Switchboard serving the OpenAI API at http:\/\/127\.0\.0\.1:(\d+)\/v1/.exec(out);
      if (m) {
        clearTimeout(timer);
        done({ child, port: Number(m[1]), exited });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`switchboard exited (${code}) before serving: ${out}${err}`));
    });
  });
}

/** deploy/nginx.conf with the compose host names, the port and the log paths replaced; each must be found. */
function localNginxConf(conf: string, dir: string, listen: number, upstreams: Record<string, number>): string {
  const replace = (text: string, from: string | RegExp, to: string) => {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`deploy/nginx.conf no longer has ${String(from)}: update this test's substitutions`);
    return next;
  };
  let out = conf;
  for (const [host, port] of Object.entries(upstreams)) out = replace(out, `server ${host}:8000 `, `server 127.0.0.1:${port} `);
  out = replace(out, /^(\s*)listen 8080;/m, `$1listen 127.0.0.1:${listen};`);
  out = replace(out, 'error_log /dev/stderr warn;', `error_log ${dir}/error.log warn;\npid ${dir}/nginx.pid;`);
  out = replace(out, 'access_log /dev/stdout switchboard;', `access_log ${dir}/access.log switchboard;`);
  // Debian's build keeps its temporary files under /var/lib/nginx: root's, so here they go to dir
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${dir}/${t};`).join('\n');
  return replace(out, /^http \{$/m, `http {\n${temps}`);
}

async function waitFor(check: () => Promise<boolean>, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!NGINX)('deploy/nginx.conf in front of two Switchboard instances sharing Redis', () => {
  let dir: string;
  let instances: Instance[] = [];
  let nginx: ChildProcess | undefined;
  let nginxLog = '';
  let base: string;
  const prefix = `switchboard:deploy-test:${process.pid}-${Date.now()}:`;

  /** The instance ports nginx sent each request to, from its access log (the `upstream=` field). */
  const servedBy = () =>
    readFileSync(join(dir, 'access.log'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => /upstream=(.*?) rt=/.exec(l)![1]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-nginx-'));
    chmodSync(dir, 0o755); // nginx's workers run as nobody when the test runs as root
    const config = join(dir, 'config.yaml');
    writeFileSync(
      config,
      [
        'server: { host: 127.0.0.1, port: 0, logLevel: info, trustProxy: true, shutdownGraceMs: 2000 }',
        `auth: { adminKey: ["${ADMIN_KEY}"] }`,
        `state: { driver: redis, url: "${REDIS_URL}", keyPrefix: "${prefix}" }`,
        'providers:',
        '  - { id: mock, plugin: mock, chunkDelayMs: 50 }',
        'models: { default: mock/echo }',
        'plugins: { admin: {} }',
        '',
      ].join('\n'),
    );
    instances = await Promise.all([startInstance(config), startInstance(config)]);
    const listen = await freePort();
    writeFileSync(join(dir, 'nginx.conf'), localNginxConf(read('deploy/nginx.conf'), dir, listen, { 'switchboard-1': instances[0].port, 'switchboard-2': instances[1].port }));
    const check = spawnSync(NGINX!, ['-t', '-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    nginx = spawn(NGINX!, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log'), '-g', 'daemon off;'], { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stderr!.on('data', (d: Buffer) => (nginxLog += d));
    base = `http://127.0.0.1:${listen}`;
    await waitFor(async () => (await fetch(`${base}/healthz`)).ok, `nginx on ${base} (${nginxLog})`);
  }, 15_000);

  afterAll(async () => {
    if (nginx && nginx.exitCode === null) {
      const gone = new Promise((r) => nginx!.on('exit', r));
      nginx.kill('SIGTERM');
      await gone;
    }
    await Promise.all(
      instances.map(async (i) => {
        if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGTERM');
        await i.exited;
      }),
    );
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    try {
      await redis.connect();
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('spreads requests over both instances', async () => {
    const before = servedBy().length;
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `hello ${i}` }] }),
      });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { choices: { message: { content: string } }[] }).choices[0].message.content).toBe(`hello ${i}`);
    }
    const counts = new Map<string, number>();
    for (const u of servedBy().slice(before)) counts.set(u, (counts.get(u) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(instances.map((i) => `127.0.0.1:${i.port}`).sort());
    for (const n of counts.values()) expect(n).toBeGreaterThanOrEqual(3);
  });

  it('passes a stream through as it is made: the first frame arrives long before the end', async () => {
    const started = Date.now();
    const r = await fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'lorem', stream: true, max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let text = '';
    let firstFrameAt: number | undefined;
    let reads = 0;
    const decoder = new TextDecoder();
    for await (const chunk of r.body!) {
      reads++;
      text += decoder.decode(chunk, { stream: true });
      if (firstFrameAt === undefined && text.includes('data: ')) firstFrameAt = Date.now() - started;
    }
    const endedAt = Date.now() - started;
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // 20 words 50 ms apart: about a second of stream; buffered, it would all come at the end
    expect(endedAt).toBeGreaterThan(900);
    expect(firstFrameAt!).toBeLessThan(endedAt - 600);
    expect(reads).toBeGreaterThanOrEqual(10);
  });

  it('keeps the port the client used in Host: the console login passes the same-origin check', async () => {
    const r = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base },
      body: JSON.stringify({ key: ADMIN_KEY }),
    });
    expect(r.status, await r.clone().text()).toBe(200);
    expect(r.headers.get('set-cookie')).not.toContain('Secure'); // X-Forwarded-Proto: http, read through trustProxy
    const https = await fetch(`${base}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: base.replace('http:', 'https:') },
      body: JSON.stringify({ key: ADMIN_KEY }),
    });
    expect(https.status).toBe(403); // another origin: refused
  });

  it('with one instance stopped, the other answers every request', async () => {
    const [gone, left] = instances;
    gone.child.kill('SIGTERM');
    expect(await gone.exited).toBe(0);
    const before = servedBy().length;
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${base}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'echo', messages: [{ role: 'user', content: `still here ${i}` }] }),
      });
      expect(r.status).toBe(200);
      await r.text();
    }
    // every request ended on the instance left (a refused attempt on the stopped one is logged first)
    const last = servedBy().slice(before).map((u) => u.split(', ').at(-1));
    expect(new Set(last)).toEqual(new Set([`127.0.0.1:${left.port}`]));
  });
});
