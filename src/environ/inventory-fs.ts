import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';

/**
 * File operations the inventory has in flight at most. Each holds at most one descriptor and one
 * libuv thread-pool slot, so a tree of 20,000 packages can neither exhaust `ulimit -n` nor queue
 * the app's own `fs` and DNS behind thousands of the inventory's reads.
 */
export const MAX_FILE_OPERATIONS = 16;

/**
 * The largest package.json read, 1 MiB. Real manifests are a few KiB (the largest on npm, with
 * inlined readmes or long contributor lists, stay in the hundreds of KiB); the cap bounds the
 * inventory's memory at about MAX_FILE_OPERATIONS MiB however hostile the tree is.
 */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

/** What the inventory needs to know of a file before it opens it. */
export interface FileFacts {
  isFile(): boolean;
  readonly size: number;
}

/** The file-system calls the inventory makes (injected in tests); failures reject with a `code`. */
export interface InventoryFs {
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  /** Follows symlinks. */
  stat(path: string): Promise<FileFacts>;
  /** At most `maxBytes + 1` bytes of a regular file; rejects with code `ENOTREG` for anything else. */
  readHead(path: string, maxBytes: number): Promise<Buffer>;
}

// Windows has neither flag; there the stat before opening is the only guard.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** The inventory's file system on node:fs, without a limit (see `limitFileOperations`). */
export const nodeInventoryFs: InventoryFs = {
  realpath: (path) => realpath(path),
  readdir: (path) => readdir(path),
  stat: (path) => stat(path),
  async readHead(path, maxBytes) {
    // Non-blocking, so a FIFO put in place after the stat cannot hold a thread-pool slot; the fstat
    // then refuses it (and a device) before a byte is read.
    const handle = await open(path, READ_FLAGS);
    try {
      const facts = await handle.stat();
      if (!facts.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'ENOTREG' });
      const buffer = Buffer.alloc(Math.min(facts.size, maxBytes) + 1);
      let length = 0;
      while (length < buffer.length) {
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      return buffer.subarray(0, length);
    } finally {
      await handle.close();
    }
  },
};

/**
 * `fs` with at most `max` operations in flight; the rest wait their turn in call order. Once
 * `signal` is aborted, waiting and new operations reject with its reason, so a stopped inventory
 * makes no further file operation.
 */
export function limitFileOperations(
  fs: InventoryFs,
  max: number = MAX_FILE_OPERATIONS,
  signal?: AbortSignal,
): InventoryFs {
  let active = 0;
  const waiting: (() => void)[] = [];
  signal?.addEventListener('abort', () => waiting.splice(0).forEach((resume) => resume()), { once: true });
  const limited = async <T>(operation: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    if (active < max) active++;
    else await new Promise<void>((resume) => waiting.push(resume));
    try {
      // (After an abort the count no longer matters: every operation rejects before using a slot.)
      signal?.throwIfAborted();
      return await operation();
    } finally {
      // The slot passes straight to the next caller, so `active` never overshoots.
      const next = waiting.shift();
      if (next) next();
      else active--;
    }
  };
  return {
    realpath: (path) => limited(() => fs.realpath(path)),
    readdir: (path) => limited(() => fs.readdir(path)),
    stat: (path) => limited(() => fs.stat(path)),
    readHead: (path, maxBytes) => limited(() => fs.readHead(path, maxBytes)),
  };
}

/** Whether `path` is `root` or inside it (both real paths). */
export function isInside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** An error's code, for messages: never its text, which holds absolute paths. */
export function errorCode(error: unknown): string {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  // By name rather than `instanceof Error`: a DOMException (an abort) comes from another realm under a test runner.
  return typeof code === 'string' ? code : typeof name === 'string' && name !== '' ? name : 'unknown error';
}
