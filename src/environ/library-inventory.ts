import { dirname, join } from 'node:path';
import semver from 'semver';
import type { LibraryReport } from '../interfaces/probe.interface.js';
import { defineKey } from '../util/define-key.js';
import { type InventoryFs, limitFileOperations, type Manifest, nodeInventoryFs, readManifest } from './inventory-fs.js';
import { inBatches, PackageWalk } from './inventory-walk.js';
import { findWorkspaceRoot } from './workspace-root.js';

/** The libraries, each unreadable package as `<relative path>: <reason>`, the app's missing dependencies as `name@range`. */
export interface LibraryInventory {
  libraries: Record<string, LibraryReport>;
  skipped: string[];
  missing: string[];
}

/** How an inventory runs; tests inject a file system. */
export interface InventoryOptions {
  fs?: InventoryFs;
  /** Handed the walk as it starts, to read what it has found so far. */
  onWalk?: (walk: PackageWalk) => void;
  /** Once aborted, no file operation starts and the scan rejects with its reason. */
  signal?: AbortSignal;
}

/** A broken requirement, listed by `library`; a missing one also as `name@range`. */
type Problem = { library: string; text: string; missing?: string };

/**
 * Each library installed for the app at `root` (up to its workspace's root), its versions, and the
 * requirements they break, as `npm ls` reports them. Hostile input is skipped with a reason.
 */
export async function scanLibraries(root: string, options: InventoryOptions = {}): Promise<LibraryInventory> {
  const { signal } = options;
  const fs = limitFileOperations(options.fs ?? nodeInventoryFs, signal);
  const realApp = await fs.realpath(root).catch(() => root);
  const realRoot = await findWorkspaceRoot(fs, realApp);
  const walk = new PackageWalk(fs, realRoot, modulesFolders(realApp, realRoot));
  options.onWalk?.(walk);
  await walk.run();
  signal?.throwIfAborted();

  const problems = (
    await inBatches(walk.packages, ({ manifest, dir }) => problemsOf(manifest, dir, walk, true))
  ).flat();
  const app = await readManifest(fs, join(realApp, 'package.json'), realApp);
  const ownProblems = typeof app === 'string' ? [] : await problemsOf(app, realApp, walk, false);
  const missing = ownProblems.flatMap((problem) => problem.missing ?? []);
  problems.push(...ownProblems.filter((problem) => !problem.missing));
  const conflicts = new Map([...walk.versions.keys()].map((name) => [name, new Set<string>()]));
  for (const { library, text } of problems) conflicts.get(library)?.add(text);

  // The reported version is the one the app resolves from its root, else the highest installed.
  const names = [...walk.versions.keys()].sort();
  const resolved = await inBatches(names, async (name) => (await walk.resolveFrom(realApp, name))?.manifest.version);
  const entries: Record<string, LibraryReport> = {};
  names.forEach((name, index) => {
    const versions = walk.versions.get(name)!;
    const version = resolved[index] ?? [...versions].sort(semverOrder).at(-1)!;
    const found = [...conflicts.get(name)!].sort();
    defineKey(entries, name, libraryEntry(version, versions, found.length ? found : null));
  });
  return { libraries: entries, skipped: walk.skipped.sort(), missing: missing.sort() };
}

/** A library's entry; `versions`, in semver order, only when more than one is installed. */
export function libraryEntry(version: string, versions: string[], conflicts: string[] | null): LibraryReport {
  const entry: LibraryReport = { version, conflicts };
  if (versions.length > 1) entry.versions = [...versions].sort(semverOrder);
  return entry;
}

/** Semver order where both are versions, else text order. */
function semverOrder(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b);
}

/** The `node_modules` folders Node looks in from the app: its own, then each one above it up to `realRoot`. */
function modulesFolders(realApp: string, realRoot: string): string[] {
  const folders = [join(realApp, 'node_modules')];
  for (let dir = realApp; dir !== realRoot && dirname(dir) !== dir;) {
    dir = dirname(dir);
    folders.push(join(dir, 'node_modules'));
  }
  return folders;
}

/** The broken requirements of `manifest` resolved from `dir`: its dependencies, then with `peers` its peers. */
async function problemsOf(manifest: Manifest, dir: string, walk: PackageWalk, peers: boolean): Promise<Problem[]> {
  const { dependencies, optionalDependencies, peerDependencies, optionalPeers } = manifest;
  // A name in both lists takes its range from `dependencies`, as npm does.
  const own = Object.entries({ ...optionalDependencies, ...dependencies });
  const requirements: [name: string, range: string, optional: boolean, label: string][] = own.map(([name, range]) => {
    return [name, range, Object.hasOwn(optionalDependencies, name), ''];
  });
  for (const [name, range] of Object.entries(peers ? peerDependencies : {})) {
    requirements.push([name, range, optionalPeers.has(name), ' peer']);
  }
  const by = `required by ${manifest.name}@${manifest.version}`;
  const problems: Problem[] = [];
  for (const [name, range, optional, label] of requirements) {
    const found = await walk.resolveFrom(dir, name);
    if (!found) {
      if (optional) continue;
      const text = `missing${label}: ${name}@${range}, ${by}`;
      problems.push({ library: manifest.name, text, missing: `${name}@${range}` });
    } else if (!satisfies(found.manifest.version, range)) {
      // An alias (`"x": "npm:y@^1"`) installs y under the name x: the conflict belongs to y.
      const text = `invalid${label}: ${name}@${found.manifest.version} does not satisfy ${range}, ${by}`;
      problems.push({ library: found.manifest.name, text });
    }
  }
  return problems;
}

/** A range that is not semver (a tag, a URL, `workspace:`, `file:`) cannot be checked and is taken as met. */
function satisfies(version: string, range: string): boolean {
  const alias = /^npm:(?:@[^/]+\/)?[^@]+@(.+)$/.exec(range);
  const spec = alias ? alias[1] : range;
  return semver.validRange(spec, { loose: true }) === null || semver.satisfies(version, spec, { loose: true });
}
