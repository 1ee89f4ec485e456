import { open } from 'node:fs/promises';

/**
 * fsync a folder, which makes a rename inside it durable. Some platforms (Windows, some network
 * filesystems) refuse to sync a folder: there the rename is as durable as they make it.
 */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // not supported here
  }
}
