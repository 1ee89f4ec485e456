/**
 * The file driver's stored documents live in one append-only log: what must hold across a
 * restart (saves, deletions, the cap, a crash mid-write), that the log is compacted rather than
 * growing for ever, and that documents kept one file each by earlier versions are moved in.
 */
import { appendFile, mkdtemp, readdir, readFile, rm, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOG_NAME, openFileKeyValue } from '../core/state/file-key-value.js';

const warnings: unknown[][] = [];
const log = { info() {}, warn: (...a: unknown[]) => warnings.push(a), error() {}, debug() {} } as never;
let dir: string;

beforeEach(async () => {
  dir = join(await mkdtemp(join(tmpdir(), 'swb-kvlog-')), 'state.responses');
  warnings.length = 0;
});
afterEach(async () => {
  await rm(join(dir, '..'), { recursive: true, force: true, maxRetries: 5 });
});

const id = (n: number) => `resp_${n.toString(16).padStart(8, '0')}`;
const open = (maxEntries = 100, ttlMs = 3_600_000, now?: () => number) => openFileKeyValue(dir, { ttlMs, maxEntries }, log, now);

describe('file key-value log', () => {
  it('saves made together all survive a restart, with deletions, replacements and the cap', async () => {
    const kv = await open(50);
    await Promise.all(Array.from({ length: 80 }, (_, n) => kv.set(id(n), JSON.stringify({ n, text: 'é\n"x"' }))));
    await kv.set(id(79), '{"replaced":true}');
    expect(await kv.delete(id(70))).toBe(true);
    await kv.close();

    const again = await open(50);
    expect(await again.get(id(29))).toBeUndefined(); // the 30 oldest went over the cap of 50
    expect(JSON.parse((await again.get(id(30)))!)).toEqual({ n: 30, text: 'é\n"x"' });
    expect(await again.get(id(70))).toBeUndefined();
    expect(await again.get(id(79))).toBe('{"replaced":true}');
    expect(await readdir(dir)).toEqual([LOG_NAME]);
    await again.close();
  });

  it('a read right after a save finds it before its write lands, and a delete before it too', async () => {
    const kv = await open();
    const saved = kv.set(id(1), 'one');
    expect(await kv.get(id(1))).toBe('one');
    expect(await kv.delete(id(1))).toBe(true);
    expect(await kv.get(id(1))).toBeUndefined();
    await saved;
    await kv.close();
    const reopened = await open();
    expect(await reopened.get(id(1))).toBeUndefined();
    await reopened.close();
  });

  it('a record a crash cut short is dropped at the next start, with a warning; the ones before it stay', async () => {
    const kv = await open();
    await kv.set(id(1), 'first');
    await kv.set(id(2), 'second, cut');
    await kv.close();
    const path = join(dir, LOG_NAME);
    await truncate(path, (await stat(path)).size - 4);

    const again = await open();
    expect(await again.get(id(1))).toBe('first');
    expect(await again.get(id(2))).toBeUndefined();
    expect(warnings.map((w) => w[1])).toEqual([expect.stringMatching(/cut short/)]);
    await again.set(id(3), 'after the crash');
    await again.close();
    const third = await open();
    expect(await third.get(id(1))).toBe('first');
    expect(await third.get(id(3))).toBe('after the crash');
    await third.close();
  });

  it('is compacted once dead records outweigh live ones: the file stays small, every live document readable', async () => {
    const kv = await open(10);
    const big = 'x'.repeat(20_000);
    for (let n = 0; n < 300; n++) await kv.set(id(n), `${n}:${big}`); // 6 MB written, 200 KB live
    const size = (await stat(join(dir, LOG_NAME))).size;
    expect(size).toBeLessThan(2 * 1024 * 1024);
    for (let n = 290; n < 300; n++) expect(await kv.get(id(n))).toBe(`${n}:${big}`);
    await kv.close();
    const again = await open(10);
    for (let n = 290; n < 300; n++) expect(await again.get(id(n))).toBe(`${n}:${big}`);
    expect(await again.get(id(289))).toBeUndefined();
    await again.close();
  });

  it('saves that land while a compaction copies and syncs are kept, in memory and after a restart', async () => {
    const kv = await open(100);
    const value = (n: number) => `${n}:${String(n % 10).repeat(50_000)}`;
    // A save about every 10 ms, each while the last one's compaction (5 MB of live records to
    // copy, then a sync) may still run: what they append then must reach the new log too.
    for (let n = 0; n < 400; n++) await Promise.all([kv.set(id(n), value(n)), n % 7 === 0 ? kv.delete(id(n - 150)) : undefined]);
    for (let n = 300; n < 400; n++) expect(await kv.get(id(n))).toBe(value(n));
    await kv.close();
    expect((await stat(join(dir, LOG_NAME))).size).toBeLessThan(12 * 1024 * 1024); // compacted: 20 MB were written
    const again = await open(100);
    for (let n = 300; n < 400; n++) expect(await again.get(id(n))).toBe(value(n));
    expect(await again.get(id(299))).toBeUndefined();
    await again.close();
    expect(warnings).toEqual([]);
  });

  it('expired documents are not read back after a restart', async () => {
    let now = 1_000_000;
    const kv = await open(10, 60_000, () => now);
    await kv.set(id(1), 'old');
    now += 30_000;
    await kv.set(id(2), 'newer');
    await kv.close();
    now += 30_000;
    const again = await open(10, 60_000, () => now);
    expect(await again.get(id(1))).toBeUndefined();
    expect(await again.get(id(2))).toBe('newer');
    await again.close();
  });

  it('documents an earlier version kept one file each are moved into the log, keeping their age', async () => {
    const first = await open();
    await first.close(); // makes the folder
    await writeFile(join(dir, `${id(1)}.json`), '{"legacy":1}');
    await writeFile(join(dir, `${id(2)}.json`), '{"legacy":2}');
    const long = new Date(Date.now() - 7_200_000);
    await utimes(join(dir, `${id(2)}.json`), long, long); // older than the TTL below
    const kv = await open(10, 3_600_000);
    expect(await kv.get(id(1))).toBe('{"legacy":1}');
    expect(await kv.get(id(2))).toBeUndefined();
    await kv.close();
    expect(await readdir(dir)).toEqual([LOG_NAME]);
    const reopened = await open();
    expect(await reopened.get(id(1))).toBe('{"legacy":1}');
    await reopened.close();
  });

  it('a log with garbage in the middle keeps what came before it', async () => {
    const kv = await open();
    await kv.set(id(1), 'good');
    await kv.close();
    await appendFile(join(dir, LOG_NAME), 'not a record\n+resp_2 1 3\nabc\n');
    const again = await open();
    expect(await again.get(id(1))).toBe('good');
    expect(await again.get(id(2))).toBeUndefined();
    await again.close();
    expect((await readFile(join(dir, LOG_NAME), 'utf8')).includes('not a record')).toBe(false);
  });
});
