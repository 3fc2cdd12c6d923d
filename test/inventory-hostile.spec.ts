import { join, sep } from 'node:path';
import { type InventoryFs, MANIFEST_MAX_BYTES, nodeInventoryFs, readPackageJson } from '../src/environ/inventory-fs.js';
import { scanLibraries } from '../src/environ/library-inventory.js';
import { fifo, pkg, removeTrees, tempDir, writeTree } from './fixtures/inventory-tree.js';

afterAll(removeTrees);

/** node:fs, recording every path the inventory passes to each call. */
function recordingFs(): { fs: InventoryFs; paths: Record<keyof InventoryFs, string[]> } {
  const paths: Record<keyof InventoryFs, string[]> = { realpath: [], readdir: [], stat: [], readHead: [] };
  const fs: InventoryFs = {
    realpath: (path) => (paths.realpath.push(path), nodeInventoryFs.realpath(path)),
    readdir: (path) => (paths.readdir.push(path), nodeInventoryFs.readdir(path)),
    stat: (path) => (paths.stat.push(path), nodeInventoryFs.stat(path)),
    readHead: (path, max) => (paths.readHead.push(path), nodeInventoryFs.readHead(path, max)),
  };
  return { fs, paths };
}

/** A JSON package.json of exactly `bytes` bytes. */
function manifestOf(name: string, bytes: number): string {
  const head = JSON.stringify({ name, version: '1.0.0', pad: '' });
  return `${head.slice(0, -2)}${'x'.repeat(bytes - head.length)}"}`;
}

describe('the inventory on hostile input', () => {
  it('refuses FIFOs named package.json without opening them, and finishes', async () => {
    const root = writeTree(tempDir(), { 'package.json': { name: 'app', version: '1.0.0' }, ...pkg('ok', '1.0.0') });
    // Four: as many as libuv has threads, which four blocked opens would hold for good.
    for (const name of ['f1', 'f2', 'f3', 'f4']) fifo(join(root, 'node_modules', name, 'package.json'));
    const report = await scanLibraries(root);
    expect(report.libraries).toEqual({ ok: { version: '1.0.0', conflicts: null } });
    expect(report.skipped).toEqual(
      ['f1', 'f2', 'f3', 'f4'].map((name) => `node_modules/${name}: package.json is not a regular file`),
    );
  });

  it('refuses a package.json linked to /dev/zero, and a device read directly, without reading it', async () => {
    const root = writeTree(
      tempDir(),
      { 'package.json': { name: 'app', version: '1.0.0' } },
      {
        'node_modules/zero/package.json': '/dev/zero',
      },
    );
    const { fs, paths } = recordingFs();
    const report = await scanLibraries(root, { fs });
    expect(report).toEqual({
      libraries: {},
      skipped: ['node_modules/zero: package.json links outside the app root'],
      missing: [],
    });
    expect(paths.readHead).not.toContain('/dev/zero');
    // Inside a root that holds it (here `/`), a device is refused by its type, and never opened.
    const reader = recordingFs();
    expect(await readPackageJson(reader.fs, '/dev/zero', '/')).toBe('package.json is not a regular file');
    expect(reader.paths.readHead).toEqual([]);
    await expect(nodeInventoryFs.readHead('/dev/zero', 16)).rejects.toMatchObject({ code: 'ENOTREG' });
  });

  it(`reads a package.json of up to ${MANIFEST_MAX_BYTES} bytes and skips a larger one`, async () => {
    const root = writeTree(tempDir(), {
      'package.json': { name: 'app', version: '1.0.0' },
      'node_modules/fits/package.json': manifestOf('fits', MANIFEST_MAX_BYTES),
      'node_modules/large/package.json': manifestOf('large', MANIFEST_MAX_BYTES + 1),
    });
    const report = await scanLibraries(root);
    expect(report.libraries).toEqual({ fits: { version: '1.0.0', conflicts: null } });
    expect(report.skipped).toEqual(['node_modules/large: package.json larger than 1 MiB']);
  });

  it('never lists or reads anything through a link out of the root, and says so in relative paths', async () => {
    const outside = writeTree(tempDir('heartbeat-outside-'), {
      'store/x@1.0.0/node_modules/x/package.json': { name: 'x', version: '1.0.0' },
      'ext/package.json': { name: 'ext', version: '1.0.0' },
      'secret.json': { name: 'secret', version: '6.6.6' },
      'scope/s/package.json': { name: '@evil/s', version: '1.0.0' },
      'nested/deep/package.json': { name: 'deep', version: '1.0.0' },
    });
    const root = writeTree(
      tempDir(),
      {
        'package.json': { name: 'app', version: '1.0.0' },
        ...pkg('ok', '1.0.0'),
        ...pkg('q', '1.0.0'),
        'node_modules/p/index.js': '',
      },
      {
        'node_modules/.pnpm': join(outside, 'store'),
        'node_modules/ext': join(outside, 'ext'),
        'node_modules/p/package.json': join(outside, 'secret.json'),
        'node_modules/@evil': join(outside, 'scope'),
        'node_modules/q/node_modules': join(outside, 'nested'),
        'node_modules/passwd/package.json': '/etc/passwd',
      },
    );
    const { fs, paths } = recordingFs();
    const report = await scanLibraries(root, { fs });
    expect(report).toEqual({
      libraries: { ok: { version: '1.0.0', conflicts: null }, q: { version: '1.0.0', conflicts: null } },
      skipped: [
        'node_modules/.pnpm: links outside the app root',
        'node_modules/@evil: links outside the app root',
        'node_modules/ext: links outside the app root',
        'node_modules/p: package.json links outside the app root',
        'node_modules/passwd: package.json links outside the app root',
        'node_modules/q/node_modules: links outside the app root',
      ],
      missing: [],
    });
    for (const path of [...paths.readdir, ...paths.stat, ...paths.readHead])
      expect(path.startsWith(root + sep)).toBe(true);
    expect(JSON.stringify(report)).not.toMatch(/\/(tmp|etc|dev)\b/);
  });

  it('does not leave the root through its own node_modules linked elsewhere', async () => {
    const outside = writeTree(tempDir('heartbeat-outside-'), { ...pkg('global', '1.0.0') });
    const root = writeTree(
      tempDir(),
      { 'package.json': { name: 'app', version: '1.0.0' } },
      {
        node_modules: join(outside, 'node_modules'),
      },
    );
    const { fs, paths } = recordingFs();
    expect(await scanLibraries(root, { fs })).toEqual({
      libraries: {},
      skipped: ['node_modules: links outside the app root'],
      missing: [],
    });
    expect(paths.readdir).toEqual([]);
  });

  it('gives error codes, never error texts with absolute paths', async () => {
    const root = writeTree(
      tempDir(),
      { 'package.json': { name: 'app', version: '1.0.0' }, 'node_modules/d/x': '' },
      {
        'node_modules/self/package.json': 'package.json',
      },
    );
    const report = await scanLibraries(root);
    expect(report.skipped).toEqual([
      'node_modules/d: no package.json',
      'node_modules/self: package.json is a symlink loop',
    ]);
  });

  it('checks aliased, prototype-named and __proto__ packages like any other', async () => {
    const root = writeTree(tempDir(), {
      'package.json': {
        name: 'app',
        version: '1.0.0',
        dependencies: { foo: 'npm:bar@^2.0.0', toString: '^1.0.0', ['__proto__']: '^1.0.0' },
      },
      'node_modules/foo/package.json': { name: 'bar', version: '1.0.0' },
      'node_modules/__proto__/package.json':
        '{"name":"__proto__","version":"1.0.0","dependencies":{"constructor":"^1"}}',
    });
    const report = await scanLibraries(root);
    expect(Object.keys(report.libraries)).toEqual(['__proto__', 'bar']);
    expect(report.libraries.bar).toEqual({
      version: '1.0.0',
      conflicts: ['invalid: foo@1.0.0 does not satisfy npm:bar@^2.0.0, required by app@1.0.0'],
    });
    expect(Object.getOwnPropertyDescriptor(report.libraries, '__proto__')?.value).toEqual({
      version: '1.0.0',
      conflicts: ['missing: constructor@^1, required by __proto__@1.0.0'],
    });
    expect(report.missing).toEqual(['toString@^1.0.0']);
  });
});
