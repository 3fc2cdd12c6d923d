import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

/**
 * The app's root, the default of `environ.root`: the directory of the nearest `package.json` at or
 * above the entry script (`entry`, the script Node was started with), else at or above `cwd`, else
 * `cwd` itself. The entry comes first because it is the app's own code wherever the process was
 * started from (`node /srv/app/dist/main.js` from `/`, a process manager's folder, a workspace's
 * root); an entry inside `node_modules` is a tool that loads the app (the Nest CLI, pm2, Jest), so
 * there `cwd` is the better guess.
 */
export function findPackageRoot(cwd: string = process.cwd(), entry: string | undefined = process.argv[1]): string {
  const script = entry ? realPath(resolve(cwd, entry)) : null;
  const fromEntry = script && !script.split(sep).includes('node_modules') ? nearestPackage(dirname(script)) : null;
  return fromEntry ?? nearestPackage(cwd) ?? resolve(cwd);
}

/** The directory of the nearest `package.json` at or above `from`, else `null`. */
function nearestPackage(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return null;
  }
}

/** `path` with its symlinks resolved (a bin link into the app), or as given when it cannot be. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}
