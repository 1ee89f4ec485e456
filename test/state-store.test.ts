/** The state drivers: what survives a restart, how often the file is written, and what a bad file or a crash does. */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, rmdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/contract/provider.js';
import { openFileStore } from '../core/state/file-store.js';
import { MemoryStore } from '../core/state/memory-store.js';
import { openStateStore } from '../core/state/open-store.js';
import { emptyDocument } from '../core/state/store.js';

interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: unknown;
  msg: string | undefined;
}

function captureLog(): Logger & { lines: LogLine[]; errors(): LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  const log = {
    lines,
    errors: () => lines.filter((l) => l.level === 'error'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: () => log,
  };
  return log;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let dir: string;
let file: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swb-state-'));
  file = join(dir, 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readJson(path: string): Promise<any> {
  return JSON.parse(await readFile(path, 'utf8'));
}

describe('file state store', () => {
  it('keeps pool state across a restart', async () => {
    const first = await openFileStore({ path: file, debounceMs: 10, log: captureLog() });
    expect(first.data).toEqual(emptyDocument());
    first.data.pools.openai = { 'key-a': { cooldownUntil: 1_800_000_000_000, used: 7 } };
    first.changed();
    await first.close();

    const log = captureLog();
    const second = await openFileStore({ path: file, debounceMs: 10, log });
    expect(second.data).toEqual({ version: 1, pools: { openai: { 'key-a': { cooldownUntil: 1_800_000_000_000, used: 7 } } } });
    expect(log.errors()).toHaveLength(0);
    await second.close();
  });

  it('creates missing folders and starts empty when there is no file yet', async () => {
    const nested = join(dir, 'a', 'b', 'state.json');
    const store = await openFileStore({ path: nested, debounceMs: 10, log: captureLog() });
    expect(store.data).toEqual(emptyDocument());
    store.changed();
    await store.flush();
    expect(await readJson(nested)).toEqual(emptyDocument());
    await store.close();
  });

  it('writes once for a burst of changes within the debounce window', async () => {
    const store = await openFileStore({ path: file, debounceMs: 50, log: captureLog() });
    for (let i = 0; i < 500; i++) {
      store.data.pools.p = { k: { n: i } };
      store.changed();
    }
    expect(store.writes).toBe(0);
    await expect.poll(() => store.writes, { timeout: 2000, interval: 5 }).toBe(1);
    await sleep(150);
    expect(store.writes).toBe(1);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 499 } } } });
    await store.close();
    expect(store.writes).toBe(1);
  });

  it('writes again after the write in flight when a change arrives during it', async () => {
    const store = await openFileStore({ path: file, debounceMs: 200, log: captureLog() });
    store.data.pools.p = { k: { n: 1 } };
    store.changed();
    const first = store.flush(); // the write starts now, with n = 1
    store.data.pools.p = { k: { n: 2 } };
    store.changed();
    await first;
    expect(store.writes).toBe(1);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 1 } } } });
    await expect.poll(() => store.writes, { timeout: 2000, interval: 5 }).toBe(2);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 2 } } } });
    await store.close();
  });

  it('writes pending changes on close, and nothing after it', async () => {
    const store = await openFileStore({ path: file, debounceMs: 60_000, log: captureLog() });
    store.data.pools.p = { k: { n: 1 } };
    store.changed();
    await store.close();
    expect(store.writes).toBe(1);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 1 } } } });

    store.data.pools.p = { k: { n: 2 } };
    store.changed();
    await store.flush();
    expect(store.writes).toBe(1);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 1 } } } });
  });

  it('removes temp files left by interrupted writes, and only those', async () => {
    await writeFile(file, JSON.stringify({ version: 1, pools: { p: { k: { n: 3 } } } }));
    await writeFile(join(dir, 'state.json.4242.tmp'), '{"version":1,"po');
    await writeFile(join(dir, 'state.json.17.tmp'), '');
    await writeFile(join(dir, 'other.json.4242.tmp'), 'not ours');
    const store = await openFileStore({ path: file, debounceMs: 10, log: captureLog() });
    expect((await readdir(dir)).sort()).toEqual(['other.json.4242.tmp', 'state.json']);
    expect(store.data.pools.p).toEqual({ k: { n: 3 } });
    await store.close();
  });

  describe.each([
    ['garbage text', 'this is not json {{{'],
    ['truncated JSON', '{"version":1,"pools":{"openai":{"key-a":{"used":'],
    ['an unknown version', '{"version":2,"pools":{},"budgets":{}}'],
    ['pools that is not an object', '{"version":1,"pools":[]}'],
  ])('a state file with %s', (_name, text) => {
    it('is moved aside with one error line, and the store starts empty and writes', async () => {
      await writeFile(file, text);
      const log = captureLog();
      const store = await openFileStore({ path: file, debounceMs: 10, log });

      const moved = (await readdir(dir)).filter((n) => n.startsWith('state.json.corrupt-'));
      expect(moved).toHaveLength(1);
      expect(moved[0]).toMatch(/^state\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
      const movedTo = join(dir, moved[0]);
      expect(await readFile(movedTo, 'utf8')).toBe(text);

      expect(log.lines).toHaveLength(1);
      expect(log.lines[0].level).toBe('error');
      expect(log.lines[0].obj).toMatchObject({ path: file, movedTo, reason: expect.any(String) });
      expect(log.lines[0].msg).toMatch(/corrupt/);

      expect(store.data).toEqual(emptyDocument());
      store.data.pools.p = { k: { n: 1 } };
      store.changed();
      await store.close();
      expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 1 } } } });
      expect(await readFile(movedTo, 'utf8')).toBe(text);
    });
  });

  it('logs a failed write once, keeps the changes and writes them when the disk recovers', async () => {
    const log = captureLog();
    const store = await openFileStore({ path: file, debounceMs: 5, log });
    await mkdir(file); // renaming a file over a directory fails, for root too

    store.data.pools.p = { k: { n: 1 } };
    store.changed();
    await expect.poll(() => log.errors().length, { timeout: 2000, interval: 5 }).toBe(1);
    expect(log.errors()[0].obj).toMatchObject({ path: file, code: expect.any(String) });

    store.data.pools.p = { k: { n: 2 } };
    store.changed();
    await expect(store.flush()).resolves.toBeUndefined();
    expect(store.writes).toBe(0);
    expect(log.errors()).toHaveLength(1); // same error code: not logged again
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);

    await rmdir(file);
    store.changed();
    await expect.poll(() => store.writes, { timeout: 2000, interval: 5 }).toBe(1);
    expect(await readJson(file)).toEqual({ version: 1, pools: { p: { k: { n: 2 } } } });
    await store.close();
  });

  it('always leaves a whole document when the writer is killed mid-write', async () => {
    let previous = 0;
    for (let round = 0; round < 8; round++) {
      const started = await runAndKill(file, 30 + Math.random() * 220);
      expect(started).toBe(previous);

      const log = captureLog();
      const store = await openFileStore({ path: file, debounceMs: 10, log });
      expect(log.errors()).toHaveLength(0);
      const pool = store.data.pools.crash as Record<string, { counter: number }> | undefined;
      const counters = new Set(Object.values(pool ?? {}).map((r) => r.counter));
      if (pool) expect(Object.keys(pool)).toHaveLength(2000);
      expect(counters.size).toBeLessThanOrEqual(1); // every record from the same snapshot
      const counter = pool?.['cred-0000']?.counter ?? 0;
      expect(counter).toBeGreaterThanOrEqual(previous);
      previous = counter;
      await store.close();
    }
    expect(previous).toBeGreaterThan(0); // the writer did get whole writes through
    const names = await readdir(dir);
    expect(names.filter((n) => n.includes('.corrupt-'))).toEqual([]);
    expect(names.filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });
});

/** Starts the writer, SIGKILLs it `afterMs` after it says it started; resolves with the counter it loaded. */
function runAndKill(path: string, afterMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const root = join(dirname(fileURLToPath(import.meta.url)), '..');
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/state-writer.ts', path], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let started: number | undefined;
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      const m = /^started (\d+)$/m.exec(out);
      if (m && started === undefined) {
        started = Number(m[1]);
        setTimeout(() => child.kill('SIGKILL'), afterMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && started !== undefined) resolve(started);
      else reject(new Error(`writer exited early (code ${code}, signal ${signal}): ${err}`));
    });
  });
}

describe('memory state store and driver choice', () => {
  it('keeps the document in memory only', async () => {
    const store = new MemoryStore();
    expect(store.driver).toBe('memory');
    store.data.pools.p = { k: { n: 1 } };
    store.changed();
    await store.flush();
    await store.close();
    expect(store.data.pools.p).toEqual({ k: { n: 1 } });
    expect(await readdir(dir)).toEqual([]);
  });

  // The redis driver's keys, unused by the others.
  const REDIS_KEYS = { url: 'redis://127.0.0.1:6379', keyPrefix: 'unused:', connectTimeoutMs: 1000, commandTimeoutMs: 500, syncIntervalMs: 500 };

  it('opens the driver named in the config', async () => {
    const log = captureLog();
    const memory = await openStateStore({ ...REDIS_KEYS, driver: 'memory', path: file, debounceMs: 10 }, log);
    expect(memory.driver).toBe('memory');
    const fileStore = await openStateStore({ ...REDIS_KEYS, driver: 'file', path: file, debounceMs: 10 }, log);
    expect(fileStore.driver).toBe('file');
    fileStore.changed();
    await fileStore.close();
    expect(await readJson(file)).toEqual(emptyDocument());
  });
});
