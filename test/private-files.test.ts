/** Files that hold secrets or clients' images are readable by their owner only. */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Logger } from '../core/contract/provider.js';
import { ImageCache } from '../core/files/image-cache.js';
import { openFileStore } from '../core/state/file-store.js';

const quiet: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, child: () => quiet } as unknown as Logger;
const modeOf = async (path: string) => (await stat(path)).mode & 0o777;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'swb-private-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(process.platform === 'win32')('file modes', () => {
  it('regression: the state file (secrets of added keys) and its temp files are written 0600', async () => {
    const file = join(dir, 'state.json');
    const store = await openFileStore({ path: file, debounceMs: 0, log: quiet });
    store.data.pools.p = { credentials: {} } as never;
    store.changed();
    await store.flush();
    // The file is the renamed temp file: its mode is the temp file's.
    expect(await modeOf(file)).toBe(0o600);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    await store.close();
  });

  it('regression: a state file an older version left 0644 is made 0600 at start-up', async () => {
    const file = join(dir, 'state.json');
    await writeFile(file, JSON.stringify({ version: 1, pools: {} }));
    await chmod(file, 0o644);
    const store = await openFileStore({ path: file, debounceMs: 1000, log: quiet });
    expect(await modeOf(file)).toBe(0o600); // before any write
    await store.close();
  });

  it('regression: the image cache folder is 0700 (new or left 0755) and its images 0600', async () => {
    const fresh = join(dir, 'images');
    const cache = await ImageCache.open(fresh, 1 << 20, quiet);
    expect(await modeOf(fresh)).toBe(0o700);
    const id = await cache.put(Buffer.from('png-bytes'), 'image/png');
    expect(await modeOf(join(fresh, id))).toBe(0o600);

    const old = join(dir, 'old-images');
    await mkdir(old, { mode: 0o755 });
    await chmod(old, 0o755);
    await ImageCache.open(old, 1 << 20, quiet);
    expect(await modeOf(old)).toBe(0o700);
  });
});
