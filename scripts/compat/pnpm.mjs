// A pnpm workspace: the Nest 12 ESM app in apps/api of a monorepo, installed by pnpm into its
// isolated node_modules, where the package sees its Nest peers only through the .pnpm store.
// pnpm itself (from the npm registry) and its store live in the cache folder, outside the repository.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { NEST, appFiles } from './apps.mjs';

const PNPM = '10';

/** Writes and installs the workspace; returns its app, ready for the per-Node runs. */
export async function pnpmWorkspace({ work, tarball, run, npmInstall }) {
  const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'nestjs-heartbeat');
  const tool = join(cache, `pnpm-${PNPM}`);
  const pnpm = join(tool, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');
  if (!existsSync(pnpm)) {
    mkdirSync(tool, { recursive: true });
    writeFileSync(join(tool, 'package.json'), JSON.stringify({ private: true, dependencies: { pnpm: PNPM } }));
    await npmInstall(tool);
  }

  const app = { name: 'pnpm-workspace-nest12-esm', nest: 12, esm: true, module: 'nodenext' };
  const workspace = join(work, 'pnpm-workspace');
  const dir = join(workspace, 'apps', 'api');
  const files = {
    'package.json': JSON.stringify({ name: 'monorepo', private: true }),
    'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n",
  };
  for (const [path, text] of Object.entries(appFiles(app))) files[join('apps', 'api', path)] = text;
  const manifest = JSON.parse(files['apps/api/package.json']);
  manifest.dependencies = { ...NEST[12].dependencies, 'nestjs-heartbeat': `file:${tarball}` };
  manifest.devDependencies = NEST[12].devDependencies;
  files['apps/api/package.json'] = JSON.stringify(manifest, null, 2);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), text);
  }
  await run(
    process.execPath,
    [pnpm, 'install', '--prefer-offline', '--store-dir', join(cache, 'pnpm-store'), '--reporter=silent'],
    workspace,
  );
  return { app, dir };
}
