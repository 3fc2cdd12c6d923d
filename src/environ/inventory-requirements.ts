import { basename, dirname, join } from 'node:path';
import semver from 'semver';
import { isInside } from './inventory-fs.js';
import type { Installed, PackageWalk } from './inventory-walk.js';
import type { Manifest } from './package-manifest.js';

/** The installed package that `name` resolves to from the real directory `from`, if the walk found it. */
export type Resolver = (from: string, name: string) => Promise<Installed | undefined>;

/** One requirement a manifest states. */
interface Requirement {
  name: string;
  range: string;
  /** An optional dependency, or a peer marked optional in `peerDependenciesMeta`: it may be absent. */
  optional: boolean;
  peer: boolean;
}

/** A broken requirement, attached to the library it concerns, the way `npm ls` reports it. */
export interface Problem {
  kind: 'missing' | 'invalid';
  /** The requirement's name and range, as the dependent states them. */
  name: string;
  range: string;
  /** The library whose `conflicts` list it: the dependent for a missing one, the installed one for an invalid one. */
  library: string;
  text: string;
}

/** Resolves the way Node does: the nearest `node_modules/<name>` up from `from`, no higher than the root. */
export function resolverOf(walk: PackageWalk): Resolver {
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

/** The dependencies (and optional dependencies) of a manifest, then, with `peers`, its peer dependencies. */
export function requirementsOf(manifest: Manifest, peers: boolean): Requirement[] {
  const { dependencies, optionalDependencies, peerDependencies, optionalPeers } = manifest;
  // A name in both lists takes its range from `dependencies`, as npm does.
  const requirements = Object.entries({ ...optionalDependencies, ...dependencies }).map(([name, range]) => ({
    name,
    range,
    optional: Object.hasOwn(optionalDependencies, name),
    peer: false,
  }));
  if (!peers) return requirements;
  for (const [name, range] of Object.entries(peerDependencies)) {
    requirements.push({ name, range, optional: optionalPeers.has(name), peer: true });
  }
  return requirements;
}

/** What is wrong with one requirement of `dependent` (`name@version`), or `null` when it is met. */
export function problemOf(requirement: Requirement, found: Installed | undefined, dependent: Manifest): Problem | null {
  const { name, range, optional, peer } = requirement;
  const by = `required by ${dependent.name}@${dependent.version}`;
  const label = peer ? ' peer' : '';
  if (!found) {
    if (optional) return null;
    return { kind: 'missing', name, range, library: dependent.name, text: `missing${label}: ${name}@${range}, ${by}` };
  }
  const { version } = found.manifest;
  if (satisfies(version, range)) return null;
  // An alias (`"x": "npm:y@^1"`) installs y under the name x: the conflict belongs to y.
  return {
    kind: 'invalid',
    name,
    range,
    library: found.manifest.name,
    text: `invalid${label}: ${name}@${version} does not satisfy ${range}, ${by}`,
  };
}

/** Every problem of `manifest`'s requirements, resolved from `dir`. */
export async function problemsOf(
  manifest: Manifest,
  dir: string,
  resolve: Resolver,
  peers: boolean,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const requirement of requirementsOf(manifest, peers)) {
    const problem = problemOf(requirement, await resolve(dir, requirement.name), manifest);
    if (problem) problems.push(problem);
  }
  return problems;
}

/** A range that is not semver (a tag, a URL, `workspace:`, `file:`) cannot be checked and is taken as met. */
export function satisfies(version: string, range: string): boolean {
  const alias = /^npm:(?:@[^/]+\/)?[^@]+@(.+)$/.exec(range);
  const spec = alias ? alias[1] : range;
  if (semver.validRange(spec, { loose: true }) === null) return true;
  return semver.satisfies(version, spec, { loose: true });
}
