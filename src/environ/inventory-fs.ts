import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';

/** Operations in flight at most (a descriptor and a thread-pool slot each), so the app's fs and DNS never queue behind them. */
export const MAX_FILE_OPERATIONS = 16;

/** The largest package.json read (real ones are a few KiB): bounds memory at about MAX_FILE_OPERATIONS MiB. */
export const MANIFEST_MAX_BYTES = 1024 * 1024;

/** The file-system calls the inventory makes (injected in tests); failures reject with a `code`. */
export interface InventoryFs {
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<string[]>;
  /** Follows symlinks. */
  stat(path: string): Promise<{ isFile(): boolean; readonly size: number }>;
  /** At most `maxBytes + 1` bytes of a regular file; rejects with code `ENOTREG` for anything else. */
  readHead(path: string, maxBytes: number): Promise<Buffer>;
}

/** What the inventory needs of a package.json. */
export interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  optionalPeers: Set<string>;
}

// Windows has neither flag; there the stat before opening is the only guard.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

/** The inventory's file system on node:fs, without a limit (see `limitFileOperations`). */
export const nodeInventoryFs: InventoryFs = {
  realpath: (path) => realpath(path),
  readdir: (path) => readdir(path),
  stat: (path) => stat(path),
  async readHead(path, maxBytes) {
    // Non-blocking, so a FIFO swapped in after the stat holds no thread-pool slot; the fstat refuses it.
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

/** `fs` with at most MAX_FILE_OPERATIONS in flight, the rest in call order; all reject once `signal` aborts. */
export function limitFileOperations(fs: InventoryFs, signal?: AbortSignal): InventoryFs {
  let active = 0;
  const waiting: (() => void)[] = [];
  signal?.addEventListener('abort', () => waiting.splice(0).forEach((resume) => resume()), { once: true });
  const limited = async <T>(operation: () => Promise<T>): Promise<T> => {
    signal?.throwIfAborted();
    if (active < MAX_FILE_OPERATIONS) active++;
    else await new Promise<void>((resume) => waiting.push(resume));
    try {
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
  // By name, not `instanceof`: an abort's DOMException may come from another realm under a test runner.
  return typeof code === 'string' ? code : typeof name === 'string' && name !== '' ? name : 'unknown error';
}

const tooLarge = (label: string) => `${label} larger than ${MANIFEST_MAX_BYTES / 1024 / 1024} MiB`;

/** The bytes of `file` if it is a regular file under the cap inside `realRoot`, else why not (naming it `label`). */
export async function readCappedFile(
  fs: InventoryFs,
  file: string,
  realRoot: string,
  label: string,
): Promise<Buffer | string> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT') return `no ${label}`;
    return code === 'ELOOP' ? `${label} is a symlink loop` : `unreadable ${label} (${code})`;
  }
  if (!isInside(realRoot, real)) return `${label} links outside the app root`;
  let text: Buffer;
  try {
    const facts = await fs.stat(real);
    if (!facts.isFile()) return `${label} is not a regular file`;
    if (facts.size > MANIFEST_MAX_BYTES) return tooLarge(label);
    text = await fs.readHead(real, MANIFEST_MAX_BYTES);
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOTREG' ? `${label} is not a regular file` : `unreadable ${label} (${code})`;
  }
  // The file may have grown since the stat.
  return text.length > MANIFEST_MAX_BYTES ? tooLarge(label) : text;
}

/** The parsed package.json at `file`, or why it was not read (see `readCappedFile`). */
export async function readPackageJson(fs: InventoryFs, file: string, realRoot: string): Promise<object | string> {
  const text = await readCappedFile(fs, file, realRoot, 'package.json');
  if (typeof text === 'string') return text;
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch {
    return 'invalid package.json (not JSON)';
  }
  return json && typeof json === 'object' ? json : 'invalid package.json (not an object)';
}

/** The manifest, or why it cannot be used. */
export async function readManifest(fs: InventoryFs, file: string, realRoot: string): Promise<Manifest | string> {
  const json = await readPackageJson(fs, file, realRoot);
  if (typeof json === 'string') return json;
  const fields = json as Record<string, unknown>;
  const { name, version } = fields;
  if (typeof name !== 'string' || name === '') return 'package.json without a name';
  if (typeof version !== 'string' || version === '') return 'package.json without a version';
  const meta = (fields.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean } | null>;
  return {
    name,
    version,
    dependencies: stringRecord(fields.dependencies),
    optionalDependencies: stringRecord(fields.optionalDependencies),
    peerDependencies: stringRecord(fields.peerDependencies),
    optionalPeers: new Set(Object.keys(meta).filter((peer) => meta[peer]?.optional === true)),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(Object.entries(value).filter((entry) => typeof entry[1] === 'string'));
}
