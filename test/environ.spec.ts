import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Injectable } from '@nestjs/common';
import request from 'supertest';
import { scanLibraries } from '../src/environ/library-inventory.js';
import { EnvironProbe, HeartbeatModule } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** Writes `files` (path -> JSON value or raw text) and `links` (path -> target) under a new temporary root. */
function tree(files: Record<string, unknown>, links: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'heartbeat-environ-'));
  roots.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  for (const [path, target] of Object.entries(links)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    symlinkSync(target, join(root, path));
  }
  return root;
}

const pkg = (name: string, version: string, extra: Record<string, unknown> = {}) => ({
  [`node_modules/${name}/package.json`]: { name, version, ...extra },
});

/** An npm-style tree with nested and duplicate versions, a scoped package and every kind of breakage. */
function npmTree(): string {
  return tree(
    {
      'package.json': {
        name: 'app',
        version: '1.0.0',
        dependencies: { a: '^1.0.0', b: '^2.0.0', '@scope/c': '^1.0.0', gone: '^1.0.0' },
      },
      ...pkg('a', '1.2.0', { dependencies: { shared: '^1.0.0' } }),
      ...pkg('b', '2.0.0', {
        dependencies: { shared: '^2.0.0' },
        peerDependencies: { react: '^18.0.0', vue: '^3.0.0' },
        peerDependenciesMeta: { vue: { optional: true } },
      }),
      'node_modules/b/node_modules/shared/package.json': { name: 'shared', version: '2.1.0' },
      ...pkg('shared', '1.5.0'),
      ...pkg('@scope/c', '1.0.0', {
        dependencies: { a: '^2.0.0', tagged: 'latest' },
        peerDependencies: { shared: '>=3' },
      }),
      ...pkg('tagged', '0.0.1'),
      'node_modules/broken/package.json': '{not json',
      'node_modules/noversion/package.json': { name: 'noversion' },
      'node_modules/.bin/a': '#!/bin/sh',
    },
    { 'node_modules/dangling': './nowhere', 'node_modules/loop': './loop' },
  );
}

describe('the library inventory', () => {
  it('reports nested and duplicate versions, scoped packages, conflicts and broken input exactly', async () => {
    expect(await scanLibraries(npmTree())).toEqual({
      libraries: {
        '@scope/c': { version: '1.0.0', conflicts: null },
        a: { version: '1.2.0', conflicts: ['invalid: a@1.2.0 does not satisfy ^2.0.0, required by @scope/c@1.0.0'] },
        b: { version: '2.0.0', conflicts: ['missing peer: react@^18.0.0, required by b@2.0.0'] },
        shared: {
          version: '1.5.0',
          conflicts: ['invalid peer: shared@1.5.0 does not satisfy >=3, required by @scope/c@1.0.0'],
          versions: ['1.5.0', '2.1.0'],
        },
        tagged: { version: '0.0.1', conflicts: null },
      },
      skipped: [
        'node_modules/broken: invalid package.json (not JSON)',
        'node_modules/dangling: dangling symlink',
        'node_modules/loop: symlink loop',
        'node_modules/noversion: package.json without a version',
      ],
      missing: ['gone@^1.0.0'],
    });
  });

  it('follows a pnpm-style symlinked store and reports every version in it', async () => {
    const root = tree(
      {
        'package.json': { name: 'app', version: '1.0.0', dependencies: { x: '^1.0.0' } },
        'node_modules/.pnpm/x@1.0.0/node_modules/x/package.json': {
          name: 'x',
          version: '1.0.0',
          dependencies: { y: '^1.0.0' },
        },
        'node_modules/.pnpm/y@1.1.0/node_modules/y/package.json': { name: 'y', version: '1.1.0' },
        'node_modules/.pnpm/y@2.0.0/node_modules/y/package.json': { name: 'y', version: '2.0.0' },
        'node_modules/.pnpm/@s+z@3.0.0/node_modules/@s/z/package.json': {
          name: '@s/z',
          version: '3.0.0',
          peerDependencies: { y: '^2' },
        },
      },
      {
        'node_modules/x': '.pnpm/x@1.0.0/node_modules/x',
        'node_modules/@s/z': '../.pnpm/@s+z@3.0.0/node_modules/@s/z',
        'node_modules/.pnpm/x@1.0.0/node_modules/y': '../../y@1.1.0/node_modules/y',
        'node_modules/.pnpm/@s+z@3.0.0/node_modules/y': '../../y@2.0.0/node_modules/y',
      },
    );
    expect(await scanLibraries(root)).toEqual({
      libraries: {
        '@s/z': { version: '3.0.0', conflicts: null },
        x: { version: '1.0.0', conflicts: null },
        // The app does not resolve y from its root, so the highest installed version is reported.
        y: { version: '2.0.0', conflicts: null, versions: ['1.1.0', '2.0.0'] },
      },
      skipped: [],
      missing: [],
    });
  });

  it('ends on a symlink that points back up the tree', async () => {
    const root = tree(
      { 'package.json': { name: 'app', version: '1.0.0' }, ...pkg('p', '1.0.0') },
      { 'node_modules/p/node_modules/up': '../../..' },
    );
    const report = await scanLibraries(root);
    expect(report.libraries).toEqual({ p: { version: '1.0.0', conflicts: null } });
    expect(report.skipped).toEqual(['node_modules/p/node_modules/up: symlink loop']);
  });
});

describe.each(ADAPTERS)('the environ report (%s)', (adapter) => {
  it('reports libraries, node, runtime, app and only the variables asked for', async () => {
    process.env.GIT_SHA = 'abc123';
    const root = npmTree();
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: { root, env: ['GIT_SHA', 'NOT_SET_ANYWHERE'] } })],
    });
    // A loaded machine may answer before the one-time inventory has finished: ask until it has.
    let res = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    while (res.body.inventory?.complete === false) {
      res = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    }
    await app.close();
    delete process.env.GIT_SHA;
    expect(res.status).toBe(200);
    expect(Object.keys(res.body)).toEqual(['status', 'libraries', 'inventory', 'node', 'runtime', 'app', 'env']);
    expect(res.body.status).toBe(true);
    expect(res.body.libraries.shared.versions).toEqual(['1.5.0', '2.1.0']);
    expect(res.body.inventory.missing).toEqual(['gone@^1.0.0']);
    expect(res.body.node).toEqual(process.versions.node.split('.').map(Number));
    expect(res.body.runtime).toEqual({
      node: process.version,
      platform: process.platform,
      arch: process.arch,
      uptimeSeconds: expect.any(Number),
    });
    expect(res.body.app).toEqual({ name: 'app', version: '1.0.0' });
    expect(res.body.env).toEqual({ GIT_SHA: 'abc123', NOT_SET_ANYWHERE: null });
    expect(res.text).not.toContain(root);
    expect(res.text).not.toContain(process.env.PATH!);
  });

  it('answers what each contributor returns now, beside the inventory', async () => {
    @Injectable()
    class Counter {
      calls = 0;
      @EnvironProbe()
      counter() {
        this.calls++;
        return this.calls % 3 === 0 ? [false, { counter: { calls: this.calls } }] : { counter: { calls: this.calls } };
      }
    }
    const root = npmTree();
    const app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
      providers: [Counter],
    });
    // Once the one-time inventory has finished (a loaded machine may answer before it has).
    while (
      (await request(app.getHttpServer()).get('/.well-known/heartbeat/environ')).body.inventory?.complete === false
    );
    app.get(Counter).calls = 0;
    await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
    app.get(Counter).calls = 0;
    try {
      for (let calls = 1; calls <= 6; calls++) {
        const res = await request(app.getHttpServer()).get('/.well-known/heartbeat/environ');
        expect(res.status).toBe(calls % 3 === 0 ? 500 : 200);
        expect(res.body.status).toBe(calls % 3 !== 0);
        expect(res.body.counter).toEqual({ calls });
        expect(res.body.libraries.shared.versions).toEqual(['1.5.0', '2.1.0']);
      }
    } finally {
      await app.close();
    }
  });

  it('removes the route with environ: false', async () => {
    const app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false, environ: false })] });
    expect((await request(app.getHttpServer()).get('/.well-known/heartbeat/environ')).status).toBe(404);
    expect((await request(app.getHttpServer()).get('/.well-known/heartbeat/readiness')).status).toBe(200);
    await app.close();
  });
});
