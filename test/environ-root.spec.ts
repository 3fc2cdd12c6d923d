import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findPackageRoot } from '../src/util/package-root.js';
import { ADAPTERS } from './support/app.js';

const fixture = join(process.cwd(), 'test', 'fixtures', 'environ-root-app.mjs');
let scratch: string;
beforeEach(() => (scratch = mkdtempSync(join(tmpdir(), 'heartbeat-root-'))));
afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** Writes `files` (path → content) under the scratch folder. */
function write(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(scratch, path, '..'), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
}

/** An app folder whose entry, dist/main.mjs, runs the fixture. */
function app(folder: string, withLibrary: boolean): string {
  write({
    [`${folder}/package.json`]: JSON.stringify({ name: 'rooted-app', version: '1.2.3' }),
    [`${folder}/dist/main.mjs`]: `await import(${JSON.stringify(fixture)});\n`,
    ...(withLibrary && {
      [`${folder}/node_modules/left-pad/package.json`]: JSON.stringify({ name: 'left-pad', version: '1.3.0' }),
    }),
  });
  return join(scratch, folder, 'dist', 'main.mjs');
}

interface Printed {
  status: number;
  libraries: string[];
  app: unknown;
  warnings: string[];
}

async function start(entry: string, cwd: string, adapter = 'express'): Promise<Printed> {
  const { stdout } = await promisify(execFile)(process.execPath, [entry], {
    cwd,
    env: { ...process.env, ADAPTER: adapter },
  });
  return JSON.parse(stdout) as Printed;
}

describe.each(ADAPTERS)('environ started from another folder (%s)', (adapter) => {
  it('finds the app from its entry script when started from /', async () => {
    const printed = await start(app('app', true), '/', adapter);
    expect(printed).toEqual({
      status: 200,
      libraries: ['left-pad'],
      app: { name: 'rooted-app', version: '1.2.3' },
      warnings: [],
    });
  });
});

it('prefers the entry script over another package the process was started in', async () => {
  write({ 'elsewhere/package.json': JSON.stringify({ name: 'elsewhere', version: '0.0.1' }) });
  const printed = await start(app('app', true), join(scratch, 'elsewhere'));
  expect(printed.app).toEqual({ name: 'rooted-app', version: '1.2.3' });
  expect(printed.libraries).toEqual(['left-pad']);
});

it('warns once, naming environ.root, when the inventory comes out empty', async () => {
  const printed = await start(app('bare', false), '/');
  expect(printed.libraries).toEqual([]);
  expect(printed.warnings).toEqual([
    expect.stringMatching(/^environ lists no libraries: nothing is installed under environ\.root \(.*bare\)\. /),
  ]);
});

it('says what was skipped when the only node_modules links out of the root', async () => {
  const entry = app('linked', false);
  write({ 'store/left-pad/package.json': JSON.stringify({ name: 'left-pad', version: '1.3.0' }) });
  symlinkSync(join(scratch, 'store'), join(scratch, 'linked', 'node_modules'));
  const printed = await start(entry, '/');
  expect(printed.libraries).toEqual([]);
  expect(printed.warnings).toEqual([
    expect.stringMatching(
      /environ\.root \(.*linked\) that could be read \(1 skipped: see inventory\.skipped in environ\)\. /,
    ),
  ]);
});

describe('findPackageRoot', () => {
  it("takes the working directory's package when the entry is a tool's under node_modules", () => {
    write({
      'app/package.json': '{}',
      'app/node_modules/@nestjs/cli/package.json': '{}',
      'app/node_modules/@nestjs/cli/bin/nest.js': '',
    });
    const root = join(scratch, 'app');
    expect(findPackageRoot(join(root, 'src'), join(root, 'node_modules/@nestjs/cli/bin/nest.js'))).toBe(root);
  });

  it('follows a linked entry to the app it belongs to', () => {
    write({ 'app/package.json': '{}', 'app/dist/main.js': '', 'bin/.keep': '' });
    symlinkSync(join(scratch, 'app', 'dist', 'main.js'), join(scratch, 'bin', 'app'));
    expect(findPackageRoot('/', join(scratch, 'bin', 'app'))).toBe(join(scratch, 'app'));
  });

  it('falls back to the working directory when neither has a package.json', () => {
    expect(findPackageRoot(join(scratch), undefined)).toBe(scratch);
    expect(findPackageRoot('/', join(scratch, 'main.js'))).toBe('/');
  });
});
