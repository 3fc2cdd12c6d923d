import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LibraryReport } from '../interfaces/probe.interface.js';

/** Lists the packages at the top level of `<root>/node_modules` (scoped ones included) with their versions. */
export async function scanLibraries(root: string): Promise<Record<string, LibraryReport>> {
  const libraries: Record<string, LibraryReport> = {};
  const modules = join(root, 'node_modules');
  for (const entry of await listDir(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@')
      ? (await listDir(join(modules, entry))).map((sub) => `${entry}/${sub}`)
      : [entry];
    for (const name of names) {
      const version = await readVersion(join(modules, name, 'package.json'));
      if (version) libraries[name] = { version, conflicts: null };
    }
  }
  return sortKeys(libraries);
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readVersion(file: string): Promise<string | undefined> {
  try {
    const { version } = JSON.parse(await readFile(file, 'utf8')) as { version?: unknown };
    return typeof version === 'string' ? version : undefined;
  } catch {
    return undefined;
  }
}

function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]),
  );
}
