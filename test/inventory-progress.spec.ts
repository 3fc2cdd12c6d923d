import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { registerEnvironBuiltins, RunningInventory } from '../src/environ/environ.builtins.js';
import { type InventoryFs, nodeInventoryFs } from '../src/environ/inventory-fs.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../src/heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from '../src/heartbeat.options.js';
import { ProbeRunner } from '../src/run/probe.runner.js';
import { HeartbeatModule, ProbeRegistry } from '../src/index.js';
import { environReport } from '../src/report/evaluation.js';
import { pkg, removeTrees, tempDir, writeTree } from './fixtures/inventory-tree.js';
import { createApp } from './support/app.js';

afterAll(removeTrees);

/** An app with 100 packages a00…a99 and a gate on reading the last one's package.json. */
function gatedInventory() {
  const files: Record<string, unknown> = { 'package.json': { name: 'app', version: '1.0.0' } };
  for (let index = 0; index < 100; index++) Object.assign(files, pkg(`a${String(index).padStart(2, '0')}`, '1.0.0'));
  const root = writeTree(tempDir(), files);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let reached!: () => void;
  const atGate = new Promise<void>((resolve) => (reached = resolve));
  const fs: InventoryFs = {
    ...nodeInventoryFs,
    async readHead(path, max) {
      if (path.endsWith('/a99/package.json')) {
        reached();
        await gate;
      }
      return nodeInventoryFs.readHead(path, max);
    },
  };
  return { root, fs, release, atGate };
}

describe('environ while the inventory runs', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp('express', { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
  });
  afterAll(() => app.close());

  /** The built-in environ contributors of `root` on their own registry, run by the app's runner. */
  function environ(root: string, fs: InventoryFs, waitMs: number) {
    const options = app.get<ResolvedHeartbeatOptions>(HEARTBEAT_RESOLVED_OPTIONS);
    const registry = new ProbeRegistry();
    const control = registerEnvironBuiltins(
      registry,
      { ...options, environ: { ...options.environ, root } },
      { fs, waitMs },
    );
    const runner = app.get(ProbeRunner);
    const libraries = registry.get('environ').find((probe) => probe.name === 'libraries')!;
    return {
      start: () => control.start(),
      stop: () => control.stop(),
      libraries: () => (libraries.handler as () => Promise<Record<string, unknown>>)(),
      report: async () => environReport(await runner.run(registry.get('environ')), true),
    };
  }

  it('answers what it has found so far, marked incomplete, with status true', async () => {
    const { root, fs, release, atGate } = gatedInventory();
    const probe = environ(root, fs, 0);
    void probe.start();
    await atGate;
    // The first batch of packages (a00…a63) has been read; a99 waits on the gate.
    const report = await probe.report();
    expect(report.status).toBe(true);
    expect(report.errors).toBeUndefined();
    expect(report.inventory).toEqual({ complete: false, packages: 64 });
    expect(Object.keys(report.libraries)).toHaveLength(64);
    expect(report.libraries.a00).toEqual({ version: '1.0.0', conflicts: null });
    expect(report.app).toEqual({ name: 'app', version: '1.0.0' });
    // Nothing new was found: the same snapshot, so its JSON can be reused.
    expect(await probe.libraries()).toBe(await probe.libraries());
    // Readiness is not held up by it.
    expect((await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness')).status).toBe(200);
    release();
    await probe.start();
    const done = await probe.libraries();
    expect(done).toBe(await probe.libraries());
    expect(done.inventory).toBeUndefined();
    expect(Object.keys(done.libraries as object)).toHaveLength(100);
    expect((await probe.report()).status).toBe(true);
  });

  it('once stopped (the app closing), starts no further file operation and settles', async () => {
    const { root, fs: gated, release, atGate } = gatedInventory();
    let operations = 0;
    const counted: InventoryFs = {
      realpath: (path) => (operations++, gated.realpath(path)),
      readdir: (path) => (operations++, gated.readdir(path)),
      stat: (path) => (operations++, gated.stat(path)),
      readHead: (path, max) => (operations++, gated.readHead(path, max)),
    };
    const probe = environ(root, counted, 0);
    const started = probe.start();
    await atGate;
    probe.stop();
    const before = operations;
    release();
    await started;
    // The walk had 36 packages and every requirement check still to do: none of it touched the disk.
    expect(operations).toBe(before);
    expect(await probe.libraries()).toEqual({
      libraries: {},
      inventory: { skipped: ['.: inventory failed (AbortError)'], missing: [] },
    });
  });

  it('is stopped when the app closes', async () => {
    const root = writeTree(tempDir(), { 'package.json': { name: 'app', version: '1.0.0' }, ...pkg('b', '1.0.0') });
    const stop = jest.spyOn(RunningInventory.prototype, 'stop');
    try {
      const closing = await createApp('express', {
        imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
      });
      expect((await request(closing.getHttpServer()).get('/.well-known/heartbeat/environ')).status).toBe(200);
      expect(stop).not.toHaveBeenCalled();
      await closing.close();
      expect(stop).toHaveBeenCalledTimes(1);
    } finally {
      stop.mockRestore();
    }
  });

  it('stays a success when the inventory never finishes within the wait', async () => {
    const { root, fs, atGate } = gatedInventory();
    const probe = environ(root, fs, 20);
    const report = await probe.report();
    await atGate;
    expect(report.status).toBe(true);
    expect(report.errors).toBeUndefined();
    expect(report.inventory).toMatchObject({ complete: false });
  });

  it('answers the finished inventory when it finishes within the wait', async () => {
    const root = writeTree(tempDir(), {
      'package.json': { name: 'app', version: '1.0.0', dependencies: { gone: '^1.0.0' } },
      ...pkg('here', '1.0.0'),
    });
    const report = await environ(root, nodeInventoryFs, 60_000).report();
    expect(report.libraries).toEqual({ here: { version: '1.0.0', conflicts: null } });
    expect(report.inventory).toEqual({ skipped: [], missing: ['gone@^1.0.0'] });
  });

  it('reports a conflict-free tree as such, independent of the machine’s own node_modules', async () => {
    const root = writeTree(tempDir(), {
      'package.json': { name: 'app', version: '1.0.0', dependencies: { '@nestjs/core': '^12.0.0' } },
      ...pkg('@nestjs/core', '12.5.1', { dependencies: { tslib: '^2.0.0' } }),
      ...pkg('tslib', '2.8.1'),
    });
    const report = await environ(root, nodeInventoryFs, 60_000).report();
    expect(report.libraries).toEqual({
      '@nestjs/core': { version: '12.5.1', conflicts: null },
      tslib: { version: '2.8.1', conflicts: null },
    });
    expect(report.inventory).toBeUndefined();
  });
});
