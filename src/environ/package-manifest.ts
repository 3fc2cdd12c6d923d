import { readFile } from 'node:fs/promises';

/** What the inventory needs of a package.json. */
export interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  optionalPeers: Set<string>;
}

/** The manifest, or the reason it cannot be used. */
export async function readManifest(file: string): Promise<Manifest | string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'no package.json'
      : `unreadable package.json (${(error as Error).message})`;
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'invalid package.json (not JSON)';
  }
  if (!json || typeof json !== 'object') return 'invalid package.json (not an object)';
  if (typeof json.name !== 'string' || json.name === '') return 'package.json without a name';
  if (typeof json.version !== 'string' || json.version === '') return 'package.json without a version';
  const meta = (json.peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean }>;
  return {
    name: json.name,
    version: json.version,
    dependencies: stringRecord(json.dependencies),
    optionalDependencies: stringRecord(json.optionalDependencies),
    peerDependencies: stringRecord(json.peerDependencies),
    optionalPeers: new Set(Object.keys(meta).filter((name) => meta[name]?.optional === true)),
  };
}

function stringRecord(value: unknown): Record<string, string> {
  if (!value || typeof value !== 'object') return {};
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
