import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// The architecture lint of `npm run lint` (.dependency-cruiser.mjs), run on small trees shaped like
// src/: it must pass the one-way imports and fail a cycle or an import that climbs a stage back up.
const ROOT = process.cwd();
const CONFIG = join(ROOT, '.dependency-cruiser.mjs');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

type Files = Record<string, string>;

/** Every stage importing the next one down, the way src/ does; the wiring imports them all. */
const ONE_WAY: Files = {
  'src/transport/controller.ts': "import { view } from '../report/view.js';\nexport const get = () => view();",
  'src/report/view.ts': "import { run } from '../run/evaluator.js';\nexport const view = () => run();",
  'src/run/evaluator.ts':
    "import { record } from '../state/record.js';\nimport { checks } from '../discovery/registry.js';\nexport const run = () => [checks, record];",
  'src/state/record.ts': "import { checks } from '../discovery/registry.js';\nexport const record = checks;",
  'src/discovery/registry.ts': "import { rule } from '../options/rules.js';\nexport const checks = [rule];",
  'src/options/rules.ts': "import { oneLine } from '../util/text.js';\nexport const rule = oneLine;",
  'src/util/text.ts': 'export const oneLine = (text: string) => text;',
  'src/observers/metrics.ts':
    "import { record } from '../state/record.js';\nimport { view } from '../report/view.js';\nexport const metrics = [record, view];",
  'src/environ/builtins.ts':
    "import type { checks } from '../discovery/registry.js';\nexport type Checks = typeof checks;",
  'src/heartbeat.module.ts':
    "export * from './transport/controller.js';\nexport * from './observers/metrics.js';\nexport * from './environ/builtins.js';",
};

let dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs = [];
});

/** Runs the lint, with the project's config, on a temporary tree of `files`. */
function lint(files: Files): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'heartbeat-architecture-'));
  dirs.push(dir);
  const tsconfig = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } };
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), `${text}\n`);
  }
  return depcruise(dir);
}

function depcruise(cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [DEPCRUISE, 'src', '--config', CONFIG, '--output-type', 'err'],
      { cwd },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, output: stdout + stderr }),
    );
  });
}

describe('the architecture lint', () => {
  it('passes imports that run one way, and src/ keeps them', async () => {
    const tree = await lint(ONE_WAY);
    expect(tree.output).toContain('no dependency violations found');
    expect(tree.code).toBe(0);
    const src = await depcruise(ROOT);
    expect(src.output).toContain('no dependency violations found');
    expect(src.code).toBe(0);
  });

  it('fails a cycle made of type-only imports', async () => {
    const { code, output } = await lint({
      ...ONE_WAY,
      'src/run/state.ts': "import type { Runner } from './runner.js';\nexport interface State { runner: Runner }",
      'src/run/runner.ts': "import type { State } from './state.js';\nexport interface Runner { state: State }",
    });
    expect(code).not.toBe(0);
    expect(output).toMatch(/error no-circular: src\/run\/(state|runner)\.ts/);
  });

  it('fails an import that climbs a stage back up, a type-only one too', async () => {
    const { code, output } = await lint({
      ...ONE_WAY,
      'src/run/evaluator.ts':
        "import { checks } from '../discovery/registry.js';\nimport type { view } from '../report/view.js';\nexport const run = () => checks;\nexport type View = typeof view;",
      'src/discovery/registry.ts':
        "import { rule } from '../options/rules.js';\nimport { get } from '../transport/controller.js';\nexport const checks = [rule, get];",
      'src/transport/management.ts':
        "import { metrics } from '../observers/metrics.js';\nexport const serve = metrics;",
      'src/state/record.ts': "import type { run } from '../run/evaluator.js';\nexport type Run = typeof run;",
      'src/run/outcome-text.ts': 'export const reasonOf = (error: unknown) => String(error);',
      'src/util/package-loader.ts': "import { reasonOf } from '../run/outcome-text.js';\nexport const load = reasonOf;",
    });
    expect(code).not.toBe(0);
    expect(output).toContain('error not-to-report: src/run/evaluator.ts → src/report/view.ts');
    expect(output).toContain('error not-to-transport: src/discovery/registry.ts → src/transport/controller.ts');
    expect(output).toContain('error not-to-observers: src/transport/management.ts → src/observers/metrics.ts');
    expect(output).toContain('error not-to-run: src/state/record.ts → src/run/evaluator.ts');
    // The import that was the one listed exception (issue 26) until the text helpers moved to util/.
    expect(output).toContain('error not-to-run: src/util/package-loader.ts → src/run/outcome-text.ts');
    expect(output).toContain('error util-is-a-leaf: src/util/package-loader.ts → src/run/outcome-text.ts');
  });
});
