#!/usr/bin/env node
// After `tsc -p tsconfig.build.json` (CommonJS into dist/), writes what makes dist/ one package
// for both module systems with one copy of its state:
// - dist/package.json marks dist/*.js as CommonJS (the repository itself stays "type": "module");
// - dist/index.mjs, the `import` entry, re-exports the CommonJS build instead of being a second
//   build, so `import` and `require` meet the same HeartbeatModule, ProbeRegistry and tokens.
//   Node finds the names through cjs-module-lexer, which reads tsc's exports and __exportStar;
//   `npm run compat` checks that both entries expose the same names and the same objects;
// - dist/index.d.mts gives `import` its ESM-flavoured types over the same declarations.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const header =
  '// The ESM entry of nestjs-heartbeat: the CommonJS build itself, re-exported (one copy of its state).\n';
writeFileSync(join(dist, 'package.json'), JSON.stringify({ type: 'commonjs' }, null, 2) + '\n');
writeFileSync(join(dist, 'index.mjs'), `${header}export * from './index.js';\n`);
writeFileSync(join(dist, 'index.d.mts'), `${header}export * from './index.js';\n`);
