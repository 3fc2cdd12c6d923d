#!/usr/bin/env node
// npm's `prepare`: builds dist/ when it is not there, which is what `npm install <git url>` needs
// (npm clones the repository, installs its devDependencies and runs only this script before packing
// it). Where dist/ is already built (`npm ci` in a working checkout) it does nothing, so an install
// does not rebuild needlessly; `npm pack` and `npm publish` always build afresh through `prepack`,
// which runs before this.
import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const built = ['dist/index.cjs', 'dist/index.mjs', 'dist/index.d.ts'].every((file) => existsSync(join(root, file)));
if (!built) execSync('npm run build', { cwd: root, stdio: 'inherit' });
