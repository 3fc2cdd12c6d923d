import { readdir, realpath } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import semver from 'semver';
import type { LibraryReport } from '../interfaces/probe.interface.js';
import { type Manifest, readManifest } from './package-manifest.js';

/** What the walk found: the libraries, the packages it could not read, and the app's own missing dependencies. */
export interface LibraryInventory {
  libraries: Record<string, LibraryReport>;
  /** `<path relative to the root>: <reason>` for every package that could not be read. */
  skipped: string[];
  /** Dependencies of the app itself that are not installed, as `name@range`. */
  missing: string[];
}

interface Installed {
  /** Real directory of the package. */
  dir: string;
  manifest: Manifest;
}

/**
 * Walks every `node_modules` under `root` (npm and yarn's nested trees, scoped packages, pnpm's
 * symlinked `.pnpm` store) and reports each installed package, every installed version, and the
 * requirements the installed versions break, the way `npm ls` reports `invalid` and `missing`.
 * Broken input (unreadable or invalid package.json, no version, symlink loops, dangling links) is
 * skipped with a reason; the walk always ends because each real directory is visited once.
 */
export async function scanLibraries(root: string): Promise<LibraryInventory> {
  const realRoot = await realpath(root).catch(() => root);
  const show = (path: string) => relative(realRoot, path).split(sep).join('/') || '.';
  const packages: Installed[] = [];
  const skipped: string[] = [];
  const listed = new Set<string>();
  const visited = new Set<string>();
  const realpaths = new Map<string, Promise<string | null>>();
  const real = (path: string) => {
    let found = realpaths.get(path);
    if (!found) realpaths.set(path, (found = realpath(path).catch(() => null)));
    return found;
  };

  // Level by level (breadth-first), so the version the app resolves (the shallowest) is met first;
  // the reads of one level run concurrently and are merged in a fixed order.
  let level: string[] = [join(realRoot, 'node_modules')];
  while (level.length > 0) {
    const folders: string[] = [];
    for (const modules of await Promise.all(level.map(real))) {
      if (modules && !listed.has(modules)) {
        listed.add(modules);
        folders.push(modules);
      }
    }
    const found = await Promise.all(
      folders.map(async (modules) => {
        const entries = await packageEntries(modules);
        return Promise.all(
          entries.map(async (entry) => {
            const path = join(modules, entry);
            if (entry === '.pnpm')
              return { path, stores: (await listDir(path)).map((store) => join(path, store, 'node_modules')) };
            const resolved = await realpath(path).then(
              (dir) => ({ dir }),
              (error: unknown) => ({ error }),
            );
            if ('error' in resolved) return { path, problem: linkProblem(resolved.error) };
            return { path, dir: resolved.dir, manifest: await readManifest(join(resolved.dir, 'package.json')) };
          }),
        );
      }),
    );
    const next: string[] = [];
    for (const entry of found.flat()) {
      if ('stores' in entry) next.push(...entry.stores!);
      else if ('problem' in entry) skipped.push(`${show(entry.path)}: ${entry.problem}`);
      else {
        const { path, dir, manifest } = entry as { path: string; dir: string; manifest: Manifest | string };
        if (visited.has(dir)) continue;
        visited.add(dir);
        // A link to the app or one of its parents would lead the walk back up: treat it as a loop.
        if (realRoot === dir || realRoot.startsWith(dir + sep)) {
          skipped.push(`${show(path)}: symlink loop`);
          continue;
        }
        if (typeof manifest === 'string') {
          skipped.push(`${show(path)}: ${manifest}`);
          continue;
        }
        packages.push({ dir, manifest });
        // The walk never leaves the app's root (a package linked from outside is reported, not entered).
        if (!dir.startsWith(realRoot + sep)) continue;
        next.push(join(dir, 'node_modules'));
        // pnpm keeps a package's dependencies beside it, in the node_modules that holds it.
        const holder = manifest.name.startsWith('@') ? dirname(dirname(dir)) : dirname(dir);
        if (basename(holder) === 'node_modules') next.push(holder);
      }
    }
    level = next;
  }

  const libraries = new Map<string, { versions: string[]; conflicts: Set<string> }>();
  const rootResolved = new Map<string, string>();
  for (const { manifest } of packages) {
    const library = libraries.get(manifest.name) ?? { versions: [], conflicts: new Set<string>() };
    if (!library.versions.includes(manifest.version)) library.versions.push(manifest.version);
    libraries.set(manifest.name, library);
  }
  const byDir = new Map(packages.map((installed) => [installed.dir, installed]));
  const resolve = async (from: string, name: string): Promise<Installed | undefined> => {
    for (let dir = from; ; dir = dirname(dir)) {
      if (basename(dir) !== 'node_modules') {
        const found = await real(join(dir, 'node_modules', name));
        if (found && byDir.has(found)) return byDir.get(found);
      }
      if (dir === realRoot || dirname(dir) === dir || !dir.startsWith(realRoot)) return undefined;
    }
  };

  const checks = packages.map(async ({ dir, manifest }) => {
    const dependent = `${manifest.name}@${manifest.version}`;
    const problems: [string, string][] = [];
    const required = { ...manifest.optionalDependencies, ...manifest.dependencies };
    for (const [name, range] of Object.entries(required)) {
      const found = await resolve(dir, name);
      if (!found && !(name in manifest.optionalDependencies)) {
        problems.push([manifest.name, `missing: ${name}@${range}, required by ${dependent}`]);
      } else if (found && !satisfies(found.manifest.version, range)) {
        problems.push([
          name,
          `invalid: ${name}@${found.manifest.version} does not satisfy ${range}, required by ${dependent}`,
        ]);
      }
    }
    for (const [name, range] of Object.entries(manifest.peerDependencies)) {
      const found = await resolve(dir, name);
      if (!found && !manifest.optionalPeers.has(name)) {
        problems.push([manifest.name, `missing peer: ${name}@${range}, required by ${dependent}`]);
      } else if (found && !satisfies(found.manifest.version, range)) {
        problems.push([
          name,
          `invalid peer: ${name}@${found.manifest.version} does not satisfy ${range}, required by ${dependent}`,
        ]);
      }
    }
    return problems;
  });
  for (const [name, problem] of (await Promise.all(checks)).flat()) libraries.get(name)!.conflicts.add(problem);

  const missing: string[] = [];
  const app = await readManifest(join(realRoot, 'package.json'));
  if (typeof app !== 'string') {
    const appName = `${app.name}@${app.version}`;
    for (const [name, range] of Object.entries({ ...app.optionalDependencies, ...app.dependencies })) {
      const found = await resolve(realRoot, name);
      if (found) rootResolved.set(name, found.manifest.version);
      if (!found && !(name in app.optionalDependencies)) missing.push(`${name}@${range}`);
      else if (found && !satisfies(found.manifest.version, range)) {
        libraries
          .get(name)!
          .conflicts.add(
            `invalid: ${name}@${found.manifest.version} does not satisfy ${range}, required by ${appName}`,
          );
      }
    }
  }

  // The reported version is the one the app resolves from its root; else the highest installed.
  await Promise.all(
    [...libraries.keys()].map(async (name) => {
      const found = await resolve(realRoot, name);
      if (found) rootResolved.set(name, found.manifest.version);
    }),
  );
  const report: Record<string, LibraryReport> = {};
  for (const name of [...libraries.keys()].sort()) {
    const { versions, conflicts } = libraries.get(name)!;
    const entry: LibraryReport = {
      version: rootResolved.get(name) ?? [...versions].sort(semverOrder).at(-1)!,
      conflicts: conflicts.size ? [...conflicts].sort() : null,
    };
    if (versions.length > 1) entry.versions = [...versions].sort(semverOrder);
    report[name] = entry;
  }
  return { libraries: report, skipped: skipped.sort(), missing: missing.sort() };
}

/** A range that is not semver (a tag, a URL, `workspace:`, `file:`) cannot be checked and is taken as met. */
function satisfies(version: string, range: string): boolean {
  const alias = /^npm:(?:@[^/]+\/)?[^@]+@(.+)$/.exec(range);
  const spec = alias ? alias[1] : range;
  if (semver.validRange(spec, { loose: true }) === null) return true;
  return semver.satisfies(version, spec, { loose: true });
}

function semverOrder(a: string, b: string): number {
  return semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a.localeCompare(b);
}

/** The package folders of a node_modules folder: plain names and `@scope/name`, and `.pnpm`. */
async function packageEntries(modules: string): Promise<string[]> {
  const entries: string[] = [];
  for (const entry of await listDir(modules)) {
    if (entry === '.pnpm') entries.push(entry);
    else if (entry.startsWith('.')) continue;
    else if (entry.startsWith('@'))
      for (const sub of await listDir(join(modules, entry))) entries.push(`${entry}/${sub}`);
    else entries.push(entry);
  }
  return entries;
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort();
  } catch {
    return [];
  }
}

function linkProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'symlink loop';
  if (code === 'ENOENT') return 'dangling symlink';
  return `unreadable (${code ?? (error as Error).message})`;
}
