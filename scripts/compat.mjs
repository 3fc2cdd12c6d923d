#!/usr/bin/env node
// Compatibility check, as a user meets the package: pack it, install the tarball into apps written
// as `nest new` writes them (scripts/compat/apps.mjs), type-check each with the TypeScript versions
// Nest projects pin, then on each Node version build it, start it on Express and on Fastify, GET its
// probes over real HTTP, run its generated e2e test (Vitest, or Jest in CommonJS or ESM mode), and
// load the package with both require() and import in one process (one class, one registry). One line per app and Node version; any miss fails the run.
//
// COMPAT_NODES: space-separated Node binaries to run the apps on (default: the Node running this).
// The dependencies of each Nest major are installed once, from npm's cache when it has them, and
// shared by that major's apps through hard-linked copies of one node_modules.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { APPS, NEST, appFiles, e2eArguments } from './compat/apps.mjs';
import { checkTarball } from './compat/tarball.mjs';
import { startAndProbe } from './compat/probe.mjs';
import { pnpmWorkspace } from './compat/pnpm.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'heartbeat-compat-'));
const nodes = (process.env.COMPAT_NODES ?? process.execPath).split(/\s+/).filter(Boolean);
/** TypeScript versions the apps are type-checked with: Nest 11's minimum, the last 5.x, Nest 12's. */
const TYPESCRIPT = [...new Set(APPS.flatMap((app) => app.typescript))].sort();

const exec = promisify(execFile);
const run = async (command, args, cwd, env = {}) => {
  try {
    const { stdout } = await exec(command, args, {
      cwd,
      env: { ...process.env, ...env },
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
    throw new Error(`${[command, ...args].join(' ')} (in ${cwd}) failed:\n${output}`, { cause: error });
  }
};
const npmInstall = (cwd) =>
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], cwd);

let failures = 0;
const check = (ok, what, detail) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) {
    failures++;
    if (detail) console.log(detail.replace(/^/gm, '     '));
  }
};
const started = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Runs `task` over `items` with at most `limit` at a time, in order of the list. */
async function pool(items, limit, task) {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (queue.length > 0) await task(queue.shift());
    }),
  );
}
const parallel = Math.max(2, availableParallelism());

// 1. The tarball: what it holds, its metadata, and that both entries exist.
const tarball = await checkTarball(root, work, run, check);

// 2. One install per Nest major, one of the TypeScript versions and the pnpm workspace, side by side.
const typescripts = join(work, 'typescript');
mkdirSync(typescripts);
writeFileSync(
  join(typescripts, 'package.json'),
  JSON.stringify({
    private: true,
    dependencies: Object.fromEntries(TYPESCRIPT.map((version) => [`ts-${version}`, `npm:typescript@${version}`])),
  }),
);
const installs = [npmInstall(typescripts)];
for (const [major, deps] of Object.entries(NEST)) {
  const dir = join(work, `nest${major}`);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({
      private: true,
      dependencies: { ...deps.dependencies, 'nestjs-heartbeat': `file:${tarball}` },
      devDependencies: deps.devDependencies,
    }),
  );
  installs.push(npmInstall(dir));
}
const installing = Date.now();
const [pnpmApp] = await Promise.all([pnpmWorkspace({ work, tarball, run, npmInstall }), ...installs]);
console.log(
  `     installed Nest ${Object.keys(NEST).join(' and ')}, TypeScript ${TYPESCRIPT.join(', ')} and the pnpm workspace in ${seconds(installing)}`,
);

const apps = APPS.map((app) => ({ app, dir: join(work, `nest${app.nest}`, app.name) }));
for (const { app, dir } of apps) {
  for (const [path, text] of Object.entries(appFiles(app))) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  // Hard links, not a symlink: environ never follows a link out of the app root (node_modules
  // included), so a linked node_modules would list no library. Hard links cost no copy.
  execFileSync('cp', ['-al', join(dirname(dir), 'node_modules'), join(dir, 'node_modules')]);
}

// 3. Type-check every app against the tarball's declarations with each TypeScript version.
await pool(apps, parallel, async ({ app, dir }) => {
  const passed = [];
  for (const version of app.typescript) {
    const tsc = join(typescripts, 'node_modules', `ts-${version}`, 'bin', 'tsc');
    try {
      await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit', '--incremental', 'false'], dir);
      passed.push(version);
    } catch (error) {
      check(false, `${app.name}: type-check with TypeScript ${version}`, error.message);
    }
  }
  if (passed.length > 0)
    check(
      true,
      `${app.name}: type-checks (app, e2e test, forRoot() with no argument) with TypeScript ${passed.join(', ')}`,
    );
});

// 4. On each Node, each app and the pnpm workspace's: build, start on both adapters, probe, e2e test, one copy of the package.
for (const node of nodes) {
  const version = (await run(node, ['--version'], work)).trim();
  const env = { PATH: `${dirname(node)}:${process.env.PATH}` };
  const onNode = Date.now();
  await pool([...apps, pnpmApp], parallel, async ({ app, dir }) => {
    const what = `${app.name} on Node ${version}`;
    const since = Date.now();
    try {
      await run(node, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], dir, env);
      const probes = [];
      for (const adapter of ['express', 'fastify']) {
        probes.push(await startAndProbe({ node, dir, adapter, app: app.name, env, terminus: app.nest === 11 }));
      }
      const [major, minor] = version.slice(1).split('.').map(Number);
      const [fromMajor, fromMinor] = app.e2eFromNode ?? [0, 0];
      const from = ([atLeastMajor, atLeastMinor]) =>
        major > atLeastMajor || (major === atLeastMajor && minor >= atLeastMinor);
      let e2e = 'e2e test passed';
      if (!from(app.e2eFromNode ?? [0, 0]))
        e2e = `e2e test not run (Jest loads Nest 12 in CommonJS mode from Node ${fromMajor}.${fromMinor})`;
      else if (!from(app.fastifyE2eFromNode ?? [0, 0])) {
        await run(node, e2eArguments(app, { expressOnly: true }), dir, env);
        const [fastifyMajor, fastifyMinor] = app.fastifyE2eFromNode;
        e2e = `e2e test passed on Express (its Fastify part from Node ${fastifyMajor}.${fastifyMinor}: Jest's require cannot load @fastify/middie's ESM-only path-to-regexp before)`;
      } else await run(node, e2eArguments(app), dir, env);
      const identity = JSON.parse(await run(node, ['identity.mjs'], dir, env));
      const bad = probes.filter((probe) => probe.problem).map((probe) => probe.problem);
      if (!identity.same) bad.push('require() and import gave two different HeartbeatModule classes');
      if (identity.names !== true) bad.push(`require() and import expose different names: ${identity.names}`);
      if (identity.registry !== true)
        bad.push(`a module imported with import has no one ProbeRegistry for require(): ${identity.registry}`);
      check(
        bad.length === 0,
        `${what}: built; ${probes.map((probe) => probe.summary).join('; ')}; ${e2e}; one copy for require() and import (one HeartbeatModule, one ProbeRegistry) (${seconds(since)})`,
        bad.join('\n'),
      );
    } catch (error) {
      check(false, `${what} (${seconds(since)})`, error.message);
    }
  });
  console.log(`     Node ${version}: ${apps.length + 1} apps in ${seconds(onNode)}`);
}

rmSync(work, { recursive: true, force: true });
console.log(`     compat took ${seconds(started)}`);
if (failures > 0) {
  console.error(`compat: ${failures} check(s) failed`);
  process.exit(1);
}
console.log('compat: every consumer passed');
