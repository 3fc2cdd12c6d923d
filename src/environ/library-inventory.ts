import { basename, dirname, join } from 'node:path';
import semver from 'semver';
import type { LibraryReport } from '../interfaces/probe.interface.js';
import { defineKey } from '../util/define-key.js';
import {
  type InventoryFs,
  isInside,
  limitFileOperations,
  type Manifest,
  nodeInventoryFs,
  readManifest,
} from './inventory-fs.js';
import { inBatches, type Installed, PackageWalk } from './inventory-walk.js';
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
  /** node:fs by default, limited to MAX_FILE_OPERATIONS in flight. */
  fs?: InventoryFs;
  /** Called for each package as the walk reads it (shallowest first). */
  onPackage?: (installed: Installed) => void;
  /** Once aborted, no file operation starts and the scan rejects with its reason. */
  signal?: AbortSignal;
}

/** The installed package `name` resolves to from the real directory `from`, if the walk found it. */
type Resolver = (from: string, name: string) => Promise<Installed | undefined>;

/** A broken requirement; `library` lists it: the dependent for a missing one, the installed one for an invalid one. */
interface Problem {
  kind: 'missing' | 'invalid';
  name: string;
  range: string;
  library: string;
  text: string;
}

/**
 * Each package installed for the app at `root`, its versions, and the requirements they break, as
 * `npm ls` reports `invalid` and `missing`. In an npm, yarn or pnpm workspace that includes the app,
 * the walk starts in the app's `node_modules` and each one above it up to the workspace root, and
 * stays inside the workspace. Broken or hostile input (bad package.json, FIFOs, devices, symlink
 * loops, links out of the root) is skipped with a reason; messages hold only relative paths.
 */
export async function scanLibraries(root: string, options: InventoryOptions = {}): Promise<LibraryInventory> {
  const { signal } = options;
  const fs = limitFileOperations(options.fs ?? nodeInventoryFs, undefined, signal);
  const realApp = await fs.realpath(root).catch(() => root);
  const realRoot = await findWorkspaceRoot(fs, realApp);
  const walk = new PackageWalk(fs, realRoot, options.onPackage, modulesFolders(realApp, realRoot));
  await walk.run();
  signal?.throwIfAborted();

  const libraries = new Map<string, { versions: string[]; conflicts: Set<string> }>();
  for (const { manifest } of walk.packages) {
    const library = libraries.get(manifest.name) ?? { versions: [], conflicts: new Set<string>() };
    if (!library.versions.includes(manifest.version)) library.versions.push(manifest.version);
    libraries.set(manifest.name, library);
  }
  const resolve = resolverOf(walk);
  const problems = (
    await inBatches(walk.packages, ({ manifest, dir }) => problemsOf(manifest, dir, resolve, true))
  ).flat();
  const missing: string[] = [];
  const app = await readManifest(fs, join(realApp, 'package.json'), realApp);
  if (typeof app !== 'string') {
    for (const problem of await problemsOf(app, realApp, resolve, false)) {
      if (problem.kind === 'missing') missing.push(`${problem.name}@${problem.range}`);
      else problems.push(problem);
    }
  }
  for (const { library, text } of problems) libraries.get(library)?.conflicts.add(text);

  // The reported version is the one the app resolves from its root, else the highest installed.
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
  return { libraries: entries, skipped: walk.skipped.sort(), missing: missing.sort() };
}

/** Semver order where both are versions, else text order. */
export function semverOrder(a: string, b: string): number {
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

/** Resolves as Node does: the nearest `node_modules/<name>` up from `from`, no higher than the root. */
function resolverOf(walk: PackageWalk): Resolver {
  const byDir = new Map(walk.packages.map((installed) => [installed.dir, installed]));
  return async (from, name) => {
    for (let dir = from; ; dir = dirname(dir)) {
      if (basename(dir) !== 'node_modules') {
        const found = await walk.real(join(dir, 'node_modules', name));
        if (found !== null && byDir.has(found)) return byDir.get(found);
      }
      if (dir === walk.realRoot || dirname(dir) === dir || !isInside(walk.realRoot, dir)) return undefined;
    }
  };
}

/** The broken requirements of `manifest` resolved from `dir`: its dependencies, then with `peers` its peers. */
async function problemsOf(manifest: Manifest, dir: string, resolve: Resolver, peers: boolean): Promise<Problem[]> {
  const { dependencies, optionalDependencies, peerDependencies, optionalPeers } = manifest;
  // A name in both lists takes its range from `dependencies`, as npm does.
  const requirements = Object.entries({ ...optionalDependencies, ...dependencies }).map(([name, range]) => ({
    name,
    range,
    optional: Object.hasOwn(optionalDependencies, name),
    peer: false,
  }));
  if (peers) {
    for (const [name, range] of Object.entries(peerDependencies)) {
      requirements.push({ name, range, optional: optionalPeers.has(name), peer: true });
    }
  }
  const by = `required by ${manifest.name}@${manifest.version}`;
  const problems: Problem[] = [];
  for (const { name, range, optional, peer } of requirements) {
    const found = await resolve(dir, name);
    const label = peer ? ' peer' : '';
    if (!found) {
      if (optional) continue;
      const text = `missing${label}: ${name}@${range}, ${by}`;
      problems.push({ kind: 'missing', name, range, library: manifest.name, text });
    } else if (!satisfies(found.manifest.version, range)) {
      // An alias (`"x": "npm:y@^1"`) installs y under the name x: the conflict belongs to y.
      const text = `invalid${label}: ${name}@${found.manifest.version} does not satisfy ${range}, ${by}`;
      problems.push({ kind: 'invalid', name, range, library: found.manifest.name, text });
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
