import { basename, dirname, join, relative, sep } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { errorCode, type InventoryFs, isInside, type Manifest, readManifest } from './inventory-fs.js';

/** Items handled between two turns of the event loop, so a walk on a warm disk cache lets the app's requests through. */
export const BATCH_SIZE = 64;

/** A package the walk found and read, at its real directory inside the real root. */
export type Installed = { dir: string; manifest: Manifest };

/** `map` over `items` in batches of BATCH_SIZE, yielding after each; `each` sees every batch's results. */
export async function inBatches<T, R>(
  items: readonly T[],
  map: (item: T) => Promise<R>,
  each: (results: R[]) => void = () => undefined,
): Promise<R[]> {
  const results: R[] = [];
  for (let start = 0; start < items.length; start += BATCH_SIZE) {
    const batch = await Promise.all(items.slice(start, start + BATCH_SIZE).map(map));
    each(batch);
    results.push(...batch);
    await nextTurn();
  }
  return results;
}

type Resolved = { dir: string } | { code: string };
/** Where an entry was listed (what messages show); `store` marks pnpm's `.pnpm` store. */
type Entry = { path: string; store: boolean };
type Found =
  | { path: string; problem: string }
  | { stores: string[] }
  | { path: string; dir: string; manifest?: Manifest | string };

/**
 * Walks every `node_modules` under the real root (nested, scoped, pnpm's `.pnpm`) level by level, so the
 * version the app resolves comes first; each real directory once, nothing outside the root entered.
 */
export class PackageWalk {
  readonly packages: Installed[] = [];
  /** Each library's versions, in the order found (the shallowest first). */
  readonly versions = new Map<string, string[]>();
  readonly skipped: string[] = [];
  private readonly listed = new Set<string>();
  /** Every package directory read, with what it holds (`null`: an unusable manifest). */
  private readonly visited = new Map<string, Installed | null>();
  private readonly realpaths = new Map<string, Promise<Resolved>>();

  /** `realRoot` bounds the walk; `starts` are the `node_modules` folders it begins with. */
  constructor(
    readonly fs: InventoryFs,
    readonly realRoot: string,
    private readonly starts: readonly string[],
  ) {}

  /** The package `name` resolves to from the real directory `from` (as Node does, no higher than the root). */
  async resolveFrom(from: string, name: string): Promise<Installed | undefined> {
    for (let dir = from; ; dir = dirname(dir)) {
      if (basename(dir) !== 'node_modules') {
        const found = await this.real(join(dir, 'node_modules', name));
        const installed = found === null ? undefined : this.visited.get(found);
        if (installed) return installed;
      }
      if (dir === this.realRoot || dirname(dir) === dir || !isInside(this.realRoot, dir)) return undefined;
    }
  }

  /** The real path of `path`, resolved once however often it is asked for, or `null`. */
  private async real(path: string): Promise<string | null> {
    const resolved = await this.resolve(path);
    return 'dir' in resolved ? resolved.dir : null;
  }

  /** Walks the whole tree, once; `packages` and `skipped` grow as it goes. */
  async run(): Promise<void> {
    let level = [...this.starts];
    while (level.length > 0) {
      const folders = (await inBatches(level, (path) => this.enter(path))).filter((dir) => dir !== null);
      const entries = (await inBatches(folders, (modules) => this.entriesOf(modules))).flat();
      const next: string[] = [];
      // Read concurrently, merged in listing order batch by batch: the result does not depend on timing.
      const merge = (found: Found[]) => found.forEach((one) => this.merge(one, next));
      await inBatches(entries, (entry) => this.inspect(entry), merge);
      level = next;
    }
  }

  private resolve(path: string): Promise<Resolved> {
    const known = this.realpaths.get(path);
    if (known) return known;
    const resolved = this.fs.realpath(path).then(
      (dir) => ({ dir }),
      (error: unknown) => ({ code: errorCode(error) }),
    );
    this.realpaths.set(path, resolved);
    return resolved;
  }

  /** Why a real directory may not be entered (the root or above it, or out of it), or `null` when it may. */
  private placeProblem(dir: string): string | null {
    if (isInside(dir, this.realRoot)) return 'symlink loop';
    return isInside(this.realRoot, dir) ? null : 'links outside the app root';
  }

  /** The real directory at `path` if it may be listed, else `null` (reported unless it does not exist). */
  private async enter(path: string): Promise<string | null> {
    const dir = await this.real(path);
    if (dir === null) return null;
    const problem = this.placeProblem(dir);
    if (problem !== null) this.skipped.push(`${this.show(path)}: ${problem}`);
    if (problem !== null || this.listed.has(dir)) return null;
    this.listed.add(dir);
    return dir;
  }

  /** The package folders of a node_modules folder: plain names, `@scope/name` and `.pnpm`. */
  private async entriesOf(modules: string): Promise<Entry[]> {
    const entries: Entry[] = [];
    for (const name of await this.list(modules)) {
      if (name === '.pnpm') entries.push({ path: join(modules, name), store: true });
      else if (name.startsWith('.')) continue;
      else if (!name.startsWith('@')) entries.push({ path: join(modules, name), store: false });
      else {
        const scope = await this.enter(join(modules, name));
        if (scope !== null)
          for (const sub of await this.list(scope)) entries.push({ path: join(modules, name, sub), store: false });
      }
    }
    return entries;
  }

  private async inspect({ path, store }: Entry): Promise<Found> {
    const resolved = await this.resolve(path);
    if ('code' in resolved) return { path, problem: linkProblem(resolved.code) };
    const { dir } = resolved;
    const problem = this.placeProblem(dir);
    if (problem !== null) return { path, problem };
    if (store) return { stores: (await this.list(dir)).map((name) => join(dir, name, 'node_modules')) };
    if (this.visited.has(dir)) return { path, dir };
    return { path, dir, manifest: await readManifest(this.fs, join(dir, 'package.json'), this.realRoot) };
  }

  private merge(found: Found, next: string[]): void {
    if ('problem' in found) this.skipped.push(`${this.show(found.path)}: ${found.problem}`);
    else if ('stores' in found) next.push(...found.stores);
    else if (found.manifest !== undefined && !this.visited.has(found.dir)) {
      const { path, dir, manifest } = found;
      if (typeof manifest === 'string') {
        this.visited.set(dir, null);
        this.skipped.push(`${this.show(path)}: ${manifest}`);
        return;
      }
      const installed = { dir, manifest };
      this.visited.set(dir, installed);
      this.packages.push(installed);
      const versions = this.versions.get(manifest.name);
      if (!versions) this.versions.set(manifest.name, [manifest.version]);
      else if (!versions.includes(manifest.version)) versions.push(manifest.version);
      next.push(join(dir, 'node_modules'));
      // pnpm keeps a package's dependencies beside it, in the node_modules that holds it.
      const holder = manifest.name.startsWith('@') ? dirname(dirname(dir)) : dirname(dir);
      if (basename(holder) === 'node_modules') next.push(holder);
    }
  }

  private list(dir: string): Promise<string[]> {
    return this.fs
      .readdir(dir)
      .then((names) => names.sort())
      .catch(() => []);
  }

  /** A path inside the root as messages show it: relative, with `/`. */
  private show(path: string): string {
    return relative(this.realRoot, path).split(sep).join('/') || '.';
  }
}

function linkProblem(code: string): string {
  if (code === 'ELOOP') return 'symlink loop';
  if (code === 'ENOENT') return 'dangling symlink';
  return `unreadable (${code})`;
}
