import { errorCode, type InventoryFs, isInside, MANIFEST_MAX_BYTES } from './inventory-fs.js';

/** What the inventory needs of a package.json. */
export interface Manifest {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  optionalPeers: Set<string>;
}

const tooLarge = (label: string) => `${label} larger than ${MANIFEST_MAX_BYTES / 1024 / 1024} MiB`;

/**
 * The bytes of the file at `file` (named `label` in reasons), or the reason it was not read. It is
 * read only if its real path is inside `realRoot` and it is a regular file under the size cap: a
 * FIFO, a device or a link out of the app is refused without being opened.
 */
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
    return code === 'ENOENT'
      ? `no ${label}`
      : code === 'ELOOP'
        ? `${label} is a symlink loop`
        : `unreadable ${label} (${code})`;
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

/** The parsed package.json at `file`, or the reason it was not read (see `readCappedFile`). */
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

/** The manifest, or the reason it cannot be used. */
export async function readManifest(fs: InventoryFs, file: string, realRoot: string): Promise<Manifest | string> {
  const json = await readPackageJson(fs, file, realRoot);
  if (typeof json === 'string') return json;
  const { name, version, peerDependenciesMeta } = json as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return 'package.json without a name';
  if (typeof version !== 'string' || version === '') return 'package.json without a version';
  const meta = (peerDependenciesMeta ?? {}) as Record<string, { optional?: boolean } | null>;
  const fields = json as Record<string, unknown>;
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
  return Object.fromEntries(
    Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  );
}
