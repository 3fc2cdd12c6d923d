#!/usr/bin/env node
// Compatibility check, as a user meets the package: pack it, then in temporary folders write and
// install two consumer apps (Nest 12 ESM and Nest 11 CommonJS), each run on Express and on Fastify,
// and assert the three routes over real HTTP. Nothing of our source is used there: only the tarball.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
const work = mkdtempSync(join(tmpdir(), 'heartbeat-compat-'));
const run = (command, args, cwd) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });

let failures = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures++;
};

// 1. The tarball holds what users need and nothing else.
const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], root));
const tarball = join(work, packed.filename);
const stray = packed.files
  .map((file) => file.path)
  .filter((path) => !/^(dist\/|README\.md$|LICENSE$|CHANGELOG\.md$|package\.json$)/.test(path));
check(
  stray.length === 0,
  `tarball holds only dist/, README, LICENSE, CHANGELOG and package.json${stray.length ? `; also: ${stray.join(', ')}` : ''}`,
);
check(
  packed.files.some((file) => file.path === 'dist/index.d.ts'),
  'tarball carries type declarations',
);
check(
  !packed.files.some((file) => /(^|\/)(test|sample|bench)\//.test(file.path) || file.path.endsWith('.spec.js')),
  'no test, sample or bench code in the tarball',
);

const APP = `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { EnvironProbe, HeartbeatModule, LivelinessProbe, ReadinessProbe } from 'nestjs-heartbeat';

@Injectable()
class Checks {
  @ReadinessProbe()
  @LivelinessProbe()
  database() {
    return ['database', true, { consumer: 'CONSUMER' }] as const;
  }

  @EnvironProbe()
  build() {
    return { consumer: 'CONSUMER' };
  }
}

@Module({ imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Checks] })
class AppModule {}

// The first line of every README and user's AppModule: it must type-check with no argument.
@Module({ imports: [HeartbeatModule.forRoot()] })
export class MinimalModule {}

async function main(adapter: string) {
  const app =
    adapter === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = await app.getUrl();
  const results: Record<string, { status: number; type: string | null; body: unknown }> = {};
  for (const probe of ['readiness', 'liveliness', 'environ']) {
    const response = await fetch(url + '/.well-known/heartbeat/' + probe);
    results[probe] = { status: response.status, type: response.headers.get('content-type'), body: await response.json() };
  }
  await app.close();
  console.log(JSON.stringify(results));
}

main(process.argv[2]).catch((error) => {
  console.error(error);
  process.exit(1);
});
`;

const CONSUMERS = [
  {
    name: 'nest12-esm',
    nest: '^12.0.0',
    type: 'module',
    tsconfig: { module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022' },
  },
  {
    // The tsconfig of a Nest 11 CLI project: CommonJS output, classic resolution of `types`.
    name: 'nest11-cjs',
    nest: '^11.0.0',
    type: 'commonjs',
    tsconfig: { module: 'commonjs', target: 'ES2023' },
  },
];

for (const consumer of CONSUMERS) {
  const dir = join(work, consumer.name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  const nest = (name) => [`@nestjs/${name}`, consumer.nest];
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: `heartbeat-consumer-${consumer.name}`,
        private: true,
        type: consumer.type,
        dependencies: Object.fromEntries([
          nest('common'),
          nest('core'),
          nest('platform-express'),
          nest('platform-fastify'),
          ['reflect-metadata', '^0.2.2'],
          ['rxjs', '^7.8.1'],
          ['nestjs-heartbeat', `file:${tarball}`],
        ]),
        devDependencies: { '@types/node': '^20.0.0' },
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...consumer.tsconfig,
        outDir: 'dist',
        rootDir: 'src',
        strict: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        skipLibCheck: true,
        types: ['node'],
      },
      include: ['src'],
    }),
  );
  writeFileSync(join(dir, 'src', 'main.ts'), APP.replaceAll('CONSUMER', consumer.name));
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], dir);
  const installed = JSON.parse(
    run('node', ['-p', "JSON.stringify(require('@nestjs/core/package.json').version)"], dir),
  );
  run('node', [tsc, '-p', 'tsconfig.json'], dir);
  check(
    true,
    `${consumer.name}: installed the tarball with @nestjs/core ${installed} and type-checked against its declarations`,
  );

  for (const adapter of ['express', 'fastify']) {
    const what = `${consumer.name} on ${adapter}`;
    let results;
    try {
      results = JSON.parse(run('node', ['dist/main.js', adapter], dir).trim().split('\n').pop());
    } catch (error) {
      check(false, `${what}: the app failed to run (${error.message.split('\n')[0]})`);
      continue;
    }
    const probeBody = { status: true, checks: { database: { status: true, consumer: consumer.name } } };
    for (const probe of ['readiness', 'liveliness']) {
      const { status, type, body } = results[probe];
      check(
        status === 200 &&
          type === 'application/json; charset=utf-8' &&
          JSON.stringify(body) === JSON.stringify(probeBody),
        `${what}: GET ${probe} -> ${status} ${JSON.stringify(body)}`,
      );
    }
    const environ = results.environ;
    check(
      environ.status === 200 &&
        environ.body.status === true &&
        environ.body.consumer === consumer.name &&
        environ.body.libraries['@nestjs/core']?.version === installed &&
        Array.isArray(environ.body.node),
      `${what}: GET environ -> ${environ.status}, @nestjs/core ${environ.body.libraries?.['@nestjs/core']?.version}`,
    );
  }
}

rmSync(work, { recursive: true, force: true });
if (failures > 0) {
  console.error(`compat: ${failures} check(s) failed`);
  process.exit(1);
}
console.log('compat: every consumer passed');
