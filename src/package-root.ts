import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The directory of the nearest `package.json` at or above `from`, else `from` itself. */
export function findPackageRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return resolve(from);
    dir = parent;
  }
}
