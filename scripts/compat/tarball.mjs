// What the packed tarball must hold: dist/ and the docs only, both entries with their types, and
// the metadata a registry page shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Packs the package into `work`, checks it, and returns the tarball's path. */
export async function checkTarball(root, work, run, check) {
  const [packed] = JSON.parse(
    await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
  );
  const files = packed.files.map((file) => file.path);
  const stray = files.filter((path) => !/^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(path));
  check(
    stray.length === 0,
    `tarball holds only dist/, README, LICENSE, CHANGELOG and package.json${stray.length ? `; also: ${stray.join(', ')}` : ''}`,
  );
  check(
    !files.some((path) => /(^|\/)(test|sample|bench)\//.test(path) || path.endsWith('.spec.js')),
    'no test, sample or bench code in the tarball',
  );
  const entries = [
    'dist/package.json',
    'dist/build-choice.js',
    'dist/index.cjs',
    'dist/index.js',
    'dist/index.d.ts',
    'dist/index.mjs',
    'dist/index.d.mts',
    'dist/esm/package.json',
    'dist/esm/index.js',
    'dist/testing.cjs',
    'dist/testing.mjs',
    'dist/testing.d.mts',
    'dist/testing/index.d.ts',
    'dist/esm/testing/index.js',
  ];
  const absent = entries.filter((path) => !files.includes(path));
  check(
    absent.length === 0,
    `tarball carries both entries, both builds and their types${absent.length ? `; missing: ${absent.join(', ')}` : ''}`,
  );

  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = manifest.exports?.['.'] ?? {};
  check(
    entry.import?.types === './dist/index.d.mts' &&
      entry.import?.default === './dist/index.mjs' &&
      entry.require?.types === './dist/index.d.ts' &&
      entry.require?.default === './dist/index.cjs' &&
      manifest.main === './dist/index.cjs',
    'exports: import (index.mjs, index.d.mts) and require (index.cjs, index.d.ts); main index.cjs',
  );
  const testing = manifest.exports?.['./testing'] ?? {};
  check(
    testing.import?.types === './dist/testing.d.mts' &&
      testing.import?.default === './dist/testing.mjs' &&
      testing.require?.types === './dist/testing/index.d.ts' &&
      testing.require?.default === './dist/testing.cjs',
    'exports ./testing: import (testing.mjs, testing.d.mts) and require (testing.cjs, testing/index.d.ts)',
  );
  const https = (value) => typeof value === 'string' && /^(git\+)?https:\/\//.test(value);
  check(
    https(manifest.repository?.url) && https(manifest.homepage) && https(manifest.bugs?.url),
    `registry metadata: repository ${manifest.repository?.url}, homepage ${manifest.homepage}, bugs ${manifest.bugs?.url}`,
  );
  return join(work, packed.filename);
}
