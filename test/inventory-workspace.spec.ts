import { join } from 'node:path';
import { type InventoryFs, nodeInventoryFs } from '../src/environ/inventory-fs.js';
import { scanLibraries } from '../src/environ/library-inventory.js';
import { findWorkspaceRoot, isWorkspaceMember, pnpmWorkspacePackages } from '../src/environ/workspace-root.js';
import { fifo, removeTrees, tempDir, writeTree } from './fixtures/inventory-tree.js';

afterAll(removeTrees);

const app = (dependencies: Record<string, string>) => ({ name: 'api', version: '1.0.0', dependencies });

describe('the inventory in a workspace', () => {
  it('npm: finds the libraries hoisted to the workspace root, and the app’s own', async () => {
    const workspace = writeTree(
      tempDir(),
      {
        'package.json': { name: 'monorepo', private: true, workspaces: ['apps/*'] },
        'node_modules/@nestjs/core/package.json': { name: '@nestjs/core', version: '12.1.0' },
        'node_modules/rxjs/package.json': { name: 'rxjs', version: '7.8.1' },
        'apps/api/package.json': app({ '@nestjs/core': '^12.0.0', rxjs: '^7.0.0', 'only-here': '^2.0.0' }),
        'apps/api/node_modules/only-here/package.json': { name: 'only-here', version: '2.0.0' },
        'apps/web/package.json': { name: 'web', version: '3.0.0' },
      },
      // npm links each workspace into the root's node_modules.
      { 'node_modules/api': '../apps/api', 'node_modules/web': '../apps/web' },
    );
    const report = await scanLibraries(join(workspace, 'apps', 'api'));
    expect(report.missing).toEqual([]);
    expect(report.skipped).toEqual([]);
    expect(report.libraries['@nestjs/core']).toEqual({ version: '12.1.0', conflicts: null });
    expect(report.libraries.rxjs).toEqual({ version: '7.8.1', conflicts: null });
    expect(report.libraries['only-here']).toEqual({ version: '2.0.0', conflicts: null });
    // The workspace's packages, as `npm ls` lists them.
    expect(report.libraries.web).toEqual({ version: '3.0.0', conflicts: null });
  });

  it('reports the version the app resolves: its own over the hoisted one', async () => {
    const workspace = writeTree(tempDir(), {
      'package.json': { name: 'monorepo', workspaces: ['apps/*'] },
      'node_modules/rxjs/package.json': { name: 'rxjs', version: '6.6.7' },
      'apps/api/package.json': app({ rxjs: '^7.0.0' }),
      'apps/api/node_modules/rxjs/package.json': { name: 'rxjs', version: '7.8.1' },
    });
    const report = await scanLibraries(join(workspace, 'apps', 'api'));
    expect(report.missing).toEqual([]);
    expect(report.libraries.rxjs).toEqual({ version: '7.8.1', versions: ['6.6.7', '7.8.1'], conflicts: null });
  });

  it('yarn: reads workspaces: { packages }, and a nested app', async () => {
    const workspace = writeTree(tempDir(), {
      'package.json': { name: 'monorepo', workspaces: { packages: ['services/**'], nohoist: [] } },
      'node_modules/@nestjs/core/package.json': { name: '@nestjs/core', version: '12.1.0' },
      'services/backend/api/package.json': app({ '@nestjs/core': '^12.0.0' }),
    });
    const report = await scanLibraries(join(workspace, 'services', 'backend', 'api'));
    expect(report.missing).toEqual([]);
    expect(report.libraries['@nestjs/core']).toEqual({ version: '12.1.0', conflicts: null });
  });

  it('pnpm: follows the app’s links into the workspace’s .pnpm store', async () => {
    const store = 'node_modules/.pnpm/@nestjs+core@12.1.0_rxjs@7.8.1/node_modules';
    const workspace = writeTree(
      tempDir(),
      {
        'package.json': { name: 'monorepo', private: true },
        'pnpm-workspace.yaml': 'packages:\n  # the apps\n  - \'apps/*\'   # each one\n  - "libs/*"\n',
        [`${store}/@nestjs/core/package.json`]: {
          name: '@nestjs/core',
          version: '12.1.0',
          peerDependencies: { rxjs: '^7.1.0' },
        },
        'node_modules/.pnpm/rxjs@7.8.1/node_modules/rxjs/package.json': { name: 'rxjs', version: '7.8.1' },
        'apps/api/package.json': app({ '@nestjs/core': '^12.0.0', rxjs: '^7.0.0' }),
      },
      {
        [`${store}/rxjs`]: '../../rxjs@7.8.1/node_modules/rxjs',
        'apps/api/node_modules/@nestjs/core': `../../../../${store}/@nestjs/core`,
        'apps/api/node_modules/rxjs': '../../../node_modules/.pnpm/rxjs@7.8.1/node_modules/rxjs',
      },
    );
    const report = await scanLibraries(join(workspace, 'apps', 'api'));
    expect(report).toEqual({
      libraries: {
        '@nestjs/core': { version: '12.1.0', conflicts: null },
        rxjs: { version: '7.8.1', conflicts: null },
      },
      skipped: [],
      missing: [],
    });
  });

  it('does not climb into a workspace that does not include the app', async () => {
    const workspace = writeTree(
      tempDir(),
      {
        'package.json': { name: 'monorepo', workspaces: ['packages/*', '!packages/api'] },
        'node_modules/@nestjs/core/package.json': { name: '@nestjs/core', version: '12.1.0' },
        'tools/api/package.json': app({ '@nestjs/core': '^12.0.0' }),
        'packages/api/package.json': app({ '@nestjs/core': '^12.0.0' }),
      },
      { 'tools/api/node_modules/linked': '../../../node_modules/@nestjs/core' },
    );
    for (const member of ['tools/api', 'packages/api']) {
      const report = await scanLibraries(join(workspace, member));
      expect(report.libraries).toEqual({});
      expect(report.missing).toEqual(['@nestjs/core@^12.0.0']);
    }
    const outside = await scanLibraries(join(workspace, 'tools', 'api'));
    expect(outside.skipped).toEqual(['node_modules/linked: links outside the app root']);
  });

  it('stays inside the workspace: a link out of it is reported, not followed', async () => {
    const elsewhere = writeTree(tempDir(), {
      'secret/package.json': { name: 'secret', version: '1.0.0' },
    });
    const workspace = writeTree(
      tempDir(),
      {
        'package.json': { name: 'monorepo', workspaces: ['apps/*'] },
        'apps/api/package.json': app({}),
      },
      { 'node_modules/secret': join(elsewhere, 'secret'), 'node_modules/up': '..' },
    );
    const report = await scanLibraries(join(workspace, 'apps', 'api'));
    expect(report.libraries).toEqual({});
    expect(report.skipped).toEqual([
      'node_modules/secret: links outside the app root',
      'node_modules/up: symlink loop',
    ]);
  });

  it('stops at the first declaration: an outer workspace above an inner one is not reached', async () => {
    const outer = writeTree(tempDir(), {
      'package.json': { name: 'outer', workspaces: ['**'] },
      'node_modules/outer-lib/package.json': { name: 'outer-lib', version: '1.0.0' },
      'inner/package.json': { name: 'inner', workspaces: ['apps/*'] },
      'inner/node_modules/inner-lib/package.json': { name: 'inner-lib', version: '1.0.0' },
      'inner/apps/api/package.json': app({}),
    });
    const report = await scanLibraries(join(outer, 'inner', 'apps', 'api'));
    expect(Object.keys(report.libraries)).toEqual(['inner-lib']);
  });

  it('ignores a workspace file that is a FIFO, too large, not JSON or linked out, and still finishes', async () => {
    const elsewhere = writeTree(tempDir(), { 'pnpm-workspace.yaml': "packages:\n  - 'apps/*'\n" });
    const cases: [string, (dir: string) => void][] = [
      ['a FIFO', (dir) => fifo(join(dir, 'pnpm-workspace.yaml'))],
      ['a link out', (dir) => writeTree(dir, {}, { 'pnpm-workspace.yaml': join(elsewhere, 'pnpm-workspace.yaml') })],
      [
        'too large',
        (dir) => writeTree(dir, { 'package.json': `{"workspaces":["apps/*"],"x":"${'x'.repeat(1 << 21)}"}` }),
      ],
      ['not JSON', (dir) => writeTree(dir, { 'package.json': '{"workspaces": ["apps/*"' })],
      ['workspaces not a list', (dir) => writeTree(dir, { 'package.json': { workspaces: 'apps/*' } })],
    ];
    for (const [, make] of cases) {
      const workspace = writeTree(tempDir(), {
        'node_modules/hoisted/package.json': { name: 'hoisted', version: '1.0.0' },
        'apps/api/package.json': app({}),
      });
      make(workspace);
      const report = await scanLibraries(join(workspace, 'apps', 'api'));
      expect(report.libraries).toEqual({});
    }
  });

  it('reads nothing above the workspace once it has found it', async () => {
    const workspace = writeTree(tempDir(), {
      'package.json': { name: 'monorepo', workspaces: ['apps/*'] },
      'apps/api/package.json': app({}),
    });
    const read: string[] = [];
    const fs: InventoryFs = {
      ...nodeInventoryFs,
      realpath: (path) => (read.push(path), nodeInventoryFs.realpath(path)),
    };
    const root = await findWorkspaceRoot(fs, join(workspace, 'apps', 'api'));
    expect(root).toBe(workspace);
    expect(read.every((path) => path.startsWith(workspace))).toBe(true);
  });
});

describe('workspace patterns', () => {
  it.each([
    ['apps/api', ['apps/*'], true],
    ['apps/api', ['./apps/*/'], true],
    ['apps/api', ['apps/**'], true],
    ['apps/a/b', ['apps/*'], false],
    ['apps/a/b', ['apps/**'], true],
    ['apps/a/b', ['**/b'], true],
    ['apps/api', ['apps/ap?'], true],
    ['apps/api', ['apps/*', '!apps/api'], false],
    ['apps/api', ['!apps/api', 'apps/*'], false],
    ['apps/api', ['apps/api'], true],
    ['apps/api.v2', ['apps/api'], false],
    ['apps/apixv2', ['apps/api.v2'], false],
    ['libs/api', ['apps/*'], false],
    ['apps/api', [], false],
    ['apps/api', ['{apps,libs}/*'], true],
    ['libs/api', ['{apps,libs}/*'], true],
    ['tools/api', ['{apps,libs}/*'], false],
    ['apps/api', ['apps/[a-z]*'], true],
    ['apps/9api', ['apps/[a-z]*'], false],
    ['apps/9api', ['apps/[!a-z]*'], true],
    ['apps/api', ['apps/[z-a]*', 'apps/*'], true],
    ['apps/api', ['apps/[z-a]*'], false],
  ])('%s against %j: %s', (member, patterns, expected) => {
    expect(isWorkspaceMember(member, patterns)).toBe(expected);
  });

  it.each([
    ["packages:\n  - 'apps/*'\n  - libs/**\n", ['apps/*', 'libs/**']],
    ['packages: [apps/*, "libs/*"]\n', ['apps/*', 'libs/*']],
    [
      "# comment\npackages:\n\n  - apps/* # trailing\n  - '!apps/legacy'\ncatalog:\n  react: ^18\n  - not/this\n",
      ['apps/*', '!apps/legacy'],
    ],
    ['catalog:\n  react: ^18\n', ['**']],
    ['', ['**']],
    ['\uFEFFpackages:\n  - apps/*\n', ['apps/*']],
    ["'packages':\n  - apps/*\n", ['apps/*']],
    ['"packages": [apps/*]\n', ['apps/*']],
    ["packages: [\n  'apps/*', # the apps\n  libs/*\n]\n", ['apps/*', 'libs/*']],
    ['packages:\nonlyDependencies: []\n', ['**']],
    ['packages:\r\n  - apps/*\r\n', ['apps/*']],
  ])('pnpm-workspace.yaml %j lists %j', (text, patterns) => {
    expect(pnpmWorkspacePackages(text)).toEqual(patterns);
  });
});
