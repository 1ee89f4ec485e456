import type { FileHandle } from 'node:fs/promises';
import type { Logger } from '../contract/provider.js';
import { KEY_SHAPE, type KeyValueOptions } from './key-value.js';

/**
 * The documents log's records on disk (the format is described in file-key-value.ts): reading
 * them back at start-up, and copying ranges of them into a new log when it is compacted.
 */

/** Replay reads and compaction copies in pieces of about this size. */
export const CHUNK = 1 << 20;

/** Where a live document's record stands in the log. */
export interface Entry {
  /** Where the record starts (its header). */
  start: number;
  /** Where its value starts, and its length in bytes; the record ends one `\n` later. */
  offset: number;
  length: number;
  savedAt: number;
}

/** The log's records in order, with cap and expiry applied; a cut or garbled tail is cut off. */
export async function replay(fh: FileHandle, path: string, options: KeyValueOptions, log: Logger, now: () => number): Promise<{ index: Map<string, Entry>; size: number; live: number }> {
  const size = (await fh.stat()).size;
  const index = new Map<string, Entry>();
  let buf = Buffer.alloc(0);
  let bufAt = 0;
  // Makes buf hold [at, at + n) (less at the end of the file); false when the file ends first.
  const have = async (at: number, n: number): Promise<boolean> => {
    if (at + n > size) return false;
    if (at >= bufAt && at + n <= bufAt + buf.length) return true;
    const want = Math.min(Math.max(n, CHUNK), size - at);
    buf = Buffer.allocUnsafe(want);
    const { bytesRead } = await fh.read(buf, 0, want, at);
    buf = buf.subarray(0, bytesRead);
    bufAt = at;
    return bytesRead >= n;
  };
  let pos = 0;
  while (pos < size) {
    // A header is short: a key of at most 128 characters and two numbers.
    if (!(await have(pos, Math.min(200, size - pos)))) break;
    const nl = buf.indexOf(10, pos - bufAt);
    if (nl < 0 || nl - (pos - bufAt) > 200) break;
    const header = buf.toString('latin1', pos - bufAt, nl);
    const head = nl + 1 + bufAt;
    if (header[0] === '-' && KEY_SHAPE.test(header.slice(1))) {
      index.delete(header.slice(1));
      pos = head;
      continue;
    }
    const m = /^\+([A-Za-z0-9_-]{1,128}) (\d{1,16}) (\d{1,12})$/.exec(header);
    if (!m) break;
    const length = Number(m[3]);
    if (!(await have(head + length, 1)) || buf[head + length - bufAt] !== 10) break;
    index.delete(m[1]);
    index.set(m[1], { start: pos, offset: head, length, savedAt: Number(m[2]) });
    // The cap as it applied when this record was written: the oldest went then.
    if (index.size > options.maxEntries) index.delete(index.keys().next().value!);
    pos = head + length + 1;
  }
  if (pos < size) {
    log.warn({ path, kept: pos, dropped: size - pos }, 'stored documents: the end of the log was cut short (a crash mid-write?); dropping it');
    await fh.truncate(pos);
  }
  const deadline = now() - options.ttlMs;
  let live = 0;
  for (const [key, e] of index) {
    if (e.savedAt <= deadline || index.size > options.maxEntries) index.delete(key); // a lower cap since
    else live += e.offset + e.length + 1 - e.start;
  }
  return { index, size: pos, live };
}

/** Copy `length` bytes at `at` in one file to `to` in another, a piece at a time. */
export async function copyRange(from: FileHandle, out: FileHandle, at: number, length: number, to: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const n = Math.min(CHUNK, length - done);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await from.read(buf, 0, n, at + done);
    if (bytesRead !== n) throw new Error('the log is shorter than its index');
    await out.write(buf, 0, n, to + done);
    done += n;
  }
}
