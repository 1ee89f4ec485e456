/**
 * The file driver's durability promise (docs/state.md): the temp file is fsynced before the
 * rename and the folder after it, so a power cut leaves the old or the new document, never an
 * empty file. Nothing observable from outside shows a missing fsync, so the calls are spied on:
 * `rename` through a wrapped `node:fs/promises`, `writeFile` and `sync` on the FileHandle prototype.
 */
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { FileHandle } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openFileStore } from '../core/state/file-store.js';
import type { Logger } from '../core/contract/provider.js';

const calls = vi.hoisted(() => [] as string[]);

vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const rename: typeof fs.rename = async (from, to) => {
    calls.push(`rename ${basename(String(from))} -> ${basename(String(to))}`);
    return fs.rename(from, to);
  };
  return { ...fs, default: { ...fs, rename }, rename };
});

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet } as unknown as Logger;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swb-fsync-'));
  calls.length = 0;
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

/** Spy on every FileHandle's writeFile and sync, naming what was synced (a file or a folder). */
async function spyOnHandles(): Promise<void> {
  const probe = await open(join(dir, 'probe'), 'w');
  const proto = Object.getPrototypeOf(probe) as FileHandle;
  await probe.close();
  await rm(join(dir, 'probe'));
  const { writeFile, sync } = proto;
  vi.spyOn(proto, 'writeFile').mockImplementation(function (this: FileHandle, ...args: Parameters<FileHandle['writeFile']>) {
    calls.push('write');
    return writeFile.apply(this, args);
  });
  vi.spyOn(proto, 'sync').mockImplementation(async function (this: FileHandle) {
    calls.push((await this.stat()).isDirectory() ? 'sync folder' : 'sync file');
    return sync.apply(this);
  });
}

describe('file state store durability', () => {
  it('fsyncs the temp file before the rename and the folder after it: write, sync file, rename, sync folder', async () => {
    const path = join(dir, 'state.json');
    const store = await openFileStore({ path, debounceMs: 60_000, log: quiet });
    await spyOnHandles();
    store.data.pools.p = { k: { n: 1 } };
    store.changed();
    await store.flush();
    expect(calls).toEqual(['write', 'sync file', `rename state.json.${process.pid}.tmp -> state.json`, 'sync folder']);
    // and every later write does the same
    calls.length = 0;
    store.data.pools.p = { k: { n: 2 } };
    store.changed();
    await store.close();
    expect(calls).toEqual(['write', 'sync file', `rename state.json.${process.pid}.tmp -> state.json`, 'sync folder']);
  });
});
