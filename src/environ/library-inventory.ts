import { dirname, join } from 'node:path';
import semver from 'semver';
import type { LibraryReport } from '../interfaces/probe.interface.js';
import { defineKey } from '../util/define-key.js';
import { type InventoryFs, limitFileOperations, nodeInventoryFs } from './inventory-fs.js';
import { type Problem, problemsOf, type Resolver, resolverOf } from './inventory-requirements.js';
import { inBatches, type Installed, PackageWalk } from './inventory-walk.js';
import { readManifest } from './package-manifest.js';
import { findWorkspaceRoot } from './workspace-root.js';

/** What the walk found: the libraries, the packages it could not read, and the app's own missing dependencies. */
export interface LibraryInventory {
  libraries: Record<string, LibraryReport>;
  /** `<path relative to the root>: <reason>` for every package that could not be read. */
  skipped: string[];
  /** Dependencies of the app itself that are not installed, as `name@range`. */
  missing: string[];
}

/** How an inventory runs; tests inject a file system. */
export interface InventoryOptions {
  /** node:fs by default; the inventory limits it to MAX_FILE_OPERATIONS in flight. */
  fs?: InventoryFs;
  /** Called for each package as the walk reads it, in the order it is found (shallowest first). */
  onPackage?: (installed: Installed) => void;
  /** Stops the inventory: no file operation starts after it is aborted, and the scan rejects with its reason. */
  signal?: AbortSignal;
}

/** The installed versions of one library and the problems reported for it. */
interface Library {
  versions: string[];
  conflicts: Set<string>;
}

/**
 * Reports each package installed for the app at `root`, every installed version, and the
 * requirements the installed versions break, the way `npm ls` reports `invalid` and `missing`. In an
 * npm, yarn or pnpm workspace that includes the app, the workspace's root is where the package
 * manager installs, so the walk starts in the app's `node_modules` and each one above it up to the
 * workspace root, and it stays inside the workspace. Broken and hostile input (unreadable, invalid
 * or oversized package.json, FIFOs, devices, symlink loops, dangling links, links out of the app or
 * its workspace) is skipped with a reason; messages hold only paths relative to that root. Steps:
 * walk, check the requirements, report.
 */
export async function scanLibraries(root: string, options: InventoryOptions = {}): Promise<LibraryInventory> {
  const { signal } = options;
  const fs = limitFileOperations(options.fs ?? nodeInventoryFs, undefined, signal);
  const realApp = await fs.realpath(root).catch(() => root);
  const realRoot = await findWorkspaceRoot(fs, realApp);
  const walk = new PackageWalk(fs, realRoot, options.onPackage, modulesFolders(realApp, realRoot));
  await walk.run();
  signal?.throwIfAborted();

  const libraries = new Map<string, Library>();
  for (const { manifest } of walk.packages) {
    const library = libraries.get(manifest.name) ?? { versions: [], conflicts: new Set<string>() };
    if (!library.versions.includes(manifest.version)) library.versions.push(manifest.version);
    libraries.set(manifest.name, library);
  }
  const resolve = resolverOf(walk);
  const problems = await inBatches(walk.packages, ({ manifest, dir }) => problemsOf(manifest, dir, resolve, true));
  const missing = await checkApp(fs, realApp, resolve, problems);
  for (const { library, text } of problems.flat()) libraries.get(library)?.conflicts.add(text);
  return {
    libraries: await report(libraries, realApp, resolve),
    skipped: walk.skipped.sort(),
    missing: missing.sort(),
  };
}

/** The `node_modules` folders Node looks in from the app: the app's own, then each one above it up to `realRoot`. */
function modulesFolders(realApp: string, realRoot: string): string[] {
  const folders = [join(realApp, 'node_modules')];
  for (let dir = realApp; dir !== realRoot && dirname(dir) !== dir;) {
    dir = dirname(dir);
    folders.push(join(dir, 'node_modules'));
  }
  return folders;
}

/** The app's own dependencies: missing ones are returned as `name@range`, invalid ones added to `problems`. */
async function checkApp(fs: InventoryFs, realApp: string, resolve: Resolver, problems: Problem[][]): Promise<string[]> {
  const app = await readManifest(fs, join(realApp, 'package.json'), realApp);
  if (typeof app === 'string') return [];
  const missing: string[] = [];
  for (const problem of await problemsOf(app, realApp, resolve, false)) {
    if (problem.kind === 'missing') missing.push(`${problem.name}@${problem.range}`);
    else problems.push([problem]);
  }
  return missing;
}

/** The reported version is the one the app resolves from its root; else the highest installed. */
async function report(
  libraries: Map<string, Library>,
  realApp: string,
  resolve: Resolver,
): Promise<Record<string, LibraryReport>> {
  const names = [...libraries.keys()].sort();
  const resolved = await inBatches(names, async (name) => (await resolve(realApp, name))?.manifest.version);
  const entries: Record<string, LibraryReport> = {};
  names.forEach((name, index) => {
    const { versions, conflicts } = libraries.get(name)!;
    const sorted = [...versions].sort(semverOrder);
    const entry: LibraryReport = {
      version: resolved[index] ?? sorted.at(-1)!,
      conflicts: conflicts.size ? [...conflicts].sort() : null,
    };
    if (versions.length > 1) entry.versions = sorted;
    defineKey(entries, name, entry);
  });
  return entries;
}

/** Semver order where both are versions, else text order. */
export function semverOrder(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b);
}
