#!/usr/bin/env node
// After tsc has written the CommonJS build (dist/) and the ESM build (dist/esm/), writes the two
// entries that make them one package with one copy of its state per process:
//
// - dist/build-choice.js picks the build that is the package's only copy: the ESM build where
//   @nestjs/common is ESM-only (Nest 12), the CommonJS build where it is CommonJS (Nest 11). Both
//   entries ask it, so `import` and `require()` always meet the same HeartbeatModule, ProbeRegistry
//   and tokens (no dual-package hazard), and under `import` with Nest 12 nothing is require()d:
//   Jest in ESM mode (its require cannot load ESM) and Node 24 (no require() of ESM in a cycle)
//   load the package;
// - dist/index.mjs, the `import` entry, loads the chosen build and re-exports its names, listed here
//   from the build itself (an ESM entry cannot pick `export *` at run time);
// - dist/index.cjs, the `require` entry, is the chosen build: with Nest 12 that is require() of the
//   ESM build, which Node allows wherever it can require() Nest 12 itself (20.19+, 22.12+);
// - dist/package.json marks dist/*.js as CommonJS and dist/esm/package.json dist/esm/*.js as ESM
//   (the repository itself stays "type": "module");
// - dist/index.d.mts gives `import` its ESM-flavoured types over the same declarations;
// - in the ESM build, a file that reads `__dirname` (the worker thread's file) gets it from
//   `import.meta.url`, as it is defined in CommonJS.
// `npm run compat` checks that both entries expose the same names and the same objects.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const esm = join(dist, 'esm');
const json = (value) => JSON.stringify(value, null, 2) + '\n';

writeFileSync(join(dist, 'package.json'), json({ type: 'commonjs' }));
writeFileSync(join(esm, 'package.json'), json({ type: 'module' }));

const DIRNAME_SHIM =
  "import { dirname as __heartbeatDirname } from 'node:path';\n" +
  "import { fileURLToPath as __heartbeatFileURLToPath } from 'node:url';\n" +
  'const __dirname = __heartbeatDirname(__heartbeatFileURLToPath(import.meta.url));\n';
for (const entry of readdirSync(esm, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
  const path = join(entry.parentPath ?? entry.path, entry.name);
  const code = readFileSync(path, 'utf8');
  // Only code that uses it, not a message that names it.
  if (/typeof __dirname|\(__dirname\b/.test(code)) writeFileSync(path, DIRNAME_SHIM + code);
}

writeFileSync(
  join(dist, 'build-choice.js'),
  `'use strict';
// Which build is nestjs-heartbeat's one copy in this process (read by index.mjs and index.cjs):
// the ESM build where @nestjs/common is ESM-only (Nest 12), else the CommonJS build (Nest 11).
function nestIsEsm() {
  try {
    return require('@nestjs/common/package.json').type === 'module';
  } catch {
    return false; // Nest is missing: the CommonJS build reports it the usual way.
  }
}
exports.esm = nestIsEsm();
`,
);

const names = Object.keys(await import(pathToFileURL(join(esm, 'index.js')).href)).sort();
const header = '// The ESM entry of nestjs-heartbeat: the build dist/build-choice.js picks (one copy of its state).\n';
writeFileSync(
  join(dist, 'index.mjs'),
  `${header}import choice from './build-choice.js';

const build = choice.esm ? await import('./esm/index.js') : (await import('./index.js')).default;
export const {
${names.map((name) => `  ${name},`).join('\n')}
} = build;
`,
);
writeFileSync(
  join(dist, 'index.cjs'),
  `'use strict';
// The require() entry of nestjs-heartbeat: the build dist/build-choice.js picks (one copy of its state).
module.exports = require('./build-choice.js').esm ? require('./esm/index.js') : require('./index.js');
`,
);
writeFileSync(
  join(dist, 'index.d.mts'),
  "// The types of nestjs-heartbeat's ESM entry: the same declarations.\nexport * from './index.js';\n",
);

// The testing entry (nestjs-heartbeat/testing), the same way: the chosen build's dist/(esm/)testing/index.js,
// so that its helpers find the HeartbeatService and ProbeRegistry of the app's copy. It imports the main
// entry first: Jest's ESM loader fails ("request for '@nestjs/common' is not in cache") when two entries'
// top-level imports of the build link the same modules at once.
const testingNames = Object.keys(await import(pathToFileURL(join(esm, 'testing', 'index.js')).href)).sort();
writeFileSync(
  join(dist, 'testing.mjs'),
  `// The ESM entry of nestjs-heartbeat/testing: the build dist/build-choice.js picks (one copy of its state).
// The main entry first, loaded completely before this one links the same build (Jest's ESM loader needs it).
import './index.mjs';
import choice from './build-choice.js';

const build = choice.esm ? await import('./esm/testing/index.js') : (await import('./testing/index.js')).default;
export const {
${testingNames.map((name) => `  ${name},`).join('\n')}
} = build;
`,
);
writeFileSync(
  join(dist, 'testing.cjs'),
  `'use strict';
// The require() entry of nestjs-heartbeat/testing: the build dist/build-choice.js picks (one copy of its state).
module.exports = require('./build-choice.js').esm ? require('./esm/testing/index.js') : require('./testing/index.js');
`,
);
writeFileSync(
  join(dist, 'testing.d.mts'),
  "// The types of nestjs-heartbeat/testing's ESM entry: the same declarations.\nexport * from './testing/index.js';\n",
);
