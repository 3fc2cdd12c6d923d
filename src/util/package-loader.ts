import { firstLine, oneLine, reasonOf } from './text.js';

/** Loads an optional peer dependency by name; tests inject one that fails. */
export type PackageLoader = (name: string) => Promise<unknown>;
/** Injection token of the `PackageLoader` (optional; `import()` when absent). */
export const PACKAGE_LOADER = Symbol('HEARTBEAT_PACKAGE_LOADER');

export const importPackage: PackageLoader = (name) => import(name);

/**
 * The optional peer `name`, as its CommonJS exports (`module.exports`) whichever way it was loaded:
 * `member` tells the namespace from its `default`. A package that cannot be loaded fails with the
 * message `missing` makes of the loader's first line (the original error is its `cause`).
 */
export async function loadPeer<T>(
  load: PackageLoader,
  name: string,
  member: string,
  missing: (reason: string) => string,
): Promise<T> {
  let loaded: unknown;
  try {
    loaded = await load(name);
  } catch (error) {
    // Only the first line ("Cannot find module 'x'"): Node's "Require stack:" after it hides the fix.
    throw new Error(missing(oneLine(firstLine(reasonOf(error)).trim())), { cause: error });
  }
  const module = loaded as Record<string, unknown> & { default?: Record<string, unknown> };
  return (module[member] !== undefined ? module : module.default) as T;
}
