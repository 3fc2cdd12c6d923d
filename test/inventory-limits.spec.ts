import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type InventoryFs, MAX_FILE_OPERATIONS, nodeInventoryFs } from '../src/environ/inventory-fs.js';
import { BATCH_SIZE } from '../src/environ/inventory-walk.js';
import { scanLibraries } from '../src/environ/library-inventory.js';
import { generatedTree, removeTrees } from './fixtures/inventory-tree.js';

afterAll(removeTrees);

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'inventory-ulimit.mjs');

/** An in-memory tree whose calls all resolve at once (a warm disk cache at its most extreme). */
function instantFs(files: Record<string, string>): InventoryFs {
  const dirs = new Map<string, Set<string>>();
  for (const file of Object.keys(files)) {
    for (let path = file; path !== '/'; path = dirname(path)) {
      if (!dirs.has(dirname(path))) dirs.set(dirname(path), new Set());
      dirs.get(dirname(path))!.add(path.slice(dirname(path).length + 1).replace(/^\//, ''));
    }
  }
  const missing = () => Promise.reject(Object.assign(new Error('missing'), { code: 'ENOENT' }));
  return {
    realpath: (path) => (path in files || dirs.has(path) ? Promise.resolve(path) : missing()),
    readdir: (path) => (dirs.has(path) ? Promise.resolve([...dirs.get(path)!]) : missing()),
    stat: (path) => (path in files ? Promise.resolve({ isFile: () => true, size: files[path].length }) : missing()),
    readHead: (path) => Promise.resolve(Buffer.from(files[path])),
  };
}

describe('the inventory’s use of the machine', () => {
  it(`never has more than ${MAX_FILE_OPERATIONS} file operations in flight`, async () => {
    const root = generatedTree(300);
    let inFlight = 0;
    let most = 0;
    const held: (() => void)[] = [];
    const gated =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        most = Math.max(most, ++inFlight);
        // Each call waits for the test to let it through, so calls pile up as far as the inventory lets them.
        await new Promise<void>((release) => held.push(release));
        try {
          return await call(...args);
        } finally {
          inFlight--;
        }
      };
    const fs: InventoryFs = {
      realpath: gated(nodeInventoryFs.realpath),
      readdir: gated(nodeInventoryFs.readdir),
      stat: gated(nodeInventoryFs.stat),
      readHead: gated(nodeInventoryFs.readHead),
    };
    let finished = false;
    const scan = scanLibraries(root, { fs }).finally(() => (finished = true));
    while (!finished) {
      await nextTurn();
      held.splice(0).forEach((release) => release());
    }
    expect(Object.keys((await scan).libraries)).toHaveLength(300);
    expect(most).toBe(MAX_FILE_OPERATIONS);
  }, 60_000);

  it('lets the event loop turn while it works, even when every read completes at once', async () => {
    const count = 2000;
    const files: Record<string, string> = {};
    const dependencies: Record<string, string> = {};
    for (let index = 0; index < count; index++) {
      files[`/app/node_modules/p${index}/package.json`] = JSON.stringify({ name: `p${index}`, version: '1.0.0' });
      dependencies[`p${index}`] = '^1.0.0';
    }
    files['/app/package.json'] = JSON.stringify({ name: 'app', version: '1.0.0', dependencies });
    let turns = 0;
    let finished = false;
    const turn = () => {
      turns++;
      if (!finished) setImmediate(turn);
    };
    setImmediate(turn);
    const report = await scanLibraries('/app', { fs: instantFs(files) });
    finished = true;
    expect(Object.keys(report.libraries)).toHaveLength(count);
    expect(report.missing).toEqual([]);
    // At least one turn per batch of packages read (the walk, the checks and the report each take more).
    expect(turns).toBeGreaterThanOrEqual(count / BATCH_SIZE);
  });

  it('reports every package of a large tree in a process limited to 256 open files', async () => {
    const count = 3000;
    const root = generatedTree(count);
    const child = spawn('bash', ['-c', 'ulimit -n 256 && exec "$0" "$1" "$2"', process.execPath, FIXTURE, root], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk));
    const code = await new Promise((resolve) => child.on('close', resolve));
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(out)).toEqual({ libraries: count, skipped: [], missing: [] });
  });
});
