// The consumer apps of `npm run compat`, written as `nest new` writes them (the application
// templates of @nestjs/schematics 11.1 and 12.0), plus what a user adds for this package: a checks
// provider, HeartbeatModule in AppModule, an e2e test that GETs readiness on Express and on Fastify.

/** The dependencies of one Nest major's apps, installed once and shared by its variants. */
export const NEST = {
  // schematics 11: CommonJS, Jest with ts-jest in CommonJS mode, TypeScript ^5.7.3.
  11: {
    dependencies: {
      '@nestjs/common': '^11.0.1',
      '@nestjs/core': '^11.0.1',
      '@nestjs/platform-express': '^11.0.1',
      '@nestjs/platform-fastify': '^11.0.1',
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
      // What a user adds for the metrics (optional peers of the package).
      'prom-client': '^15.1.3',
      '@opentelemetry/api': '^1.9.0',
      // What a user adds for gRPC probes (optional peers of the package) and Nest's gRPC transport.
      'grpc-health-check': '^2.1.0',
      '@grpc/grpc-js': '^1.10.0',
      '@grpc/proto-loader': '^0.8.0',
      '@nestjs/microservices': '^11.0.1',
      // Nest 11 apps migrate from terminus 11 (scripts/compat/apps.mjs, TERMINUS).
      '@nestjs/terminus': '^11.0.0',
    },
    devDependencies: {
      '@nestjs/testing': '^11.0.1',
      '@types/express': '^5.0.0',
      '@types/jest': '^30.0.0',
      '@types/node': '^24.0.0',
      '@types/supertest': '^7.0.0',
      jest: '^30.0.0',
      supertest: '^7.0.0',
      'ts-jest': '^29.2.5',
      typescript: '^5.7.3',
    },
  },
  // schematics 12: `nest new` asks for ESM (the default, tested with Vitest) or CommonJS (Jest with
  // ts-jest in CommonJS mode, run with --experimental-vm-modules); TypeScript ^6.0.2.
  12: {
    dependencies: {
      '@nestjs/common': '^12.0.1',
      '@nestjs/core': '^12.0.1',
      '@nestjs/platform-express': '^12.0.1',
      '@nestjs/platform-fastify': '^12.0.1',
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.1',
      // What a user adds for the metrics (optional peers of the package).
      'prom-client': '^15.1.3',
      '@opentelemetry/api': '^1.9.0',
      // What a user adds for gRPC probes (optional peers of the package) and Nest's gRPC transport.
      'grpc-health-check': '^2.1.0',
      '@grpc/grpc-js': '^1.10.0',
      '@grpc/proto-loader': '^0.8.0',
      '@nestjs/microservices': '^12.0.1',
    },
    devDependencies: {
      '@nestjs/testing': '^12.0.1',
      '@types/express': '^5.0.0',
      '@types/jest': '^30.0.0',
      '@types/node': '^24.0.0',
      '@types/supertest': '^7.0.0',
      jest: '^30.0.0',
      supertest: '^7.0.0',
      'ts-jest': '^29.4.0',
      typescript: '^6.0.2',
      vitest: '^4.1.2',
      'vite-tsconfig-paths': '^5.1.4',
    },
  },
};

// The templates' compilerOptions ("strict" answered yes), before a variant's module setting.
const TSCONFIG = {
  11: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    resolvePackageJsonExports: true,
    esModuleInterop: true,
    isolatedModules: true,
    declaration: true,
    removeComments: true,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    allowSyntheticDefaultImports: true,
    target: 'ES2023',
    sourceMap: true,
    outDir: './dist',
    baseUrl: './',
    incremental: true,
    skipLibCheck: true,
    strictNullChecks: true,
    forceConsistentCasingInFileNames: true,
    noImplicitAny: true,
    strictBindCallApply: true,
    noFallthroughCasesInSwitch: true,
  },
  12: {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    resolvePackageJsonExports: true,
    esModuleInterop: true,
    isolatedModules: true,
    declaration: true,
    removeComments: true,
    emitDecoratorMetadata: true,
    experimentalDecorators: true,
    allowSyntheticDefaultImports: true,
    target: 'ES2023',
    sourceMap: true,
    outDir: './dist',
    rootDir: '.',
    incremental: true,
    skipLibCheck: true,
    strict: true,
    strictPropertyInitialization: false,
  },
};

/** Module settings a user may change the template's to. */
const MODULE = {
  nodenext: {},
  node16: { module: 'node16', moduleResolution: 'node16' },
  // `module: commonjs` resolves the classic way (main/types), which rejects resolvePackageJsonExports.
  commonjs: { module: 'commonjs', moduleResolution: undefined, resolvePackageJsonExports: undefined },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/**
 * The matrix: `nest` is the major, `esm` whether the app is "type": "module" (tested with Vitest,
 * else with Jest), `module` the tsconfig variant, `typescript` the versions it is type-checked with.
 * Left out, for reasons of Nest's and not of this package: TypeScript 6 on Nest 11's template (TS5101,
 * its `baseUrl` is deprecated), and TypeScript 5.7 on a CommonJS Nest 12 app (TS1479 on
 * `@nestjs/common`, which is ESM-only; TypeScript allows require() of ESM from 5.8).
 * `e2eFromNode`: Jest in CommonJS mode loads ESM-only Nest 12 only where Node lets it (24.9+).
 * `jest`: an ESM app tested with Jest in ESM mode instead of Vitest. `fastifyE2eFromNode`: its Fastify
 * e2e test (a file of its own) runs from that Node: Nest 12's Fastify adapter loads @fastify/middie,
 * CommonJS, which require()s path-to-regexp 9, ESM-only, and Jest's require loads ESM only on 24.9+.
 */
export const APPS = [
  { name: 'nest11-cjs-commonjs', nest: 11, esm: false, module: 'commonjs', typescript: ['5.7.3', '5.9.3'] },
  { name: 'nest11-cjs-node16', nest: 11, esm: false, module: 'node16', typescript: ['5.7.3', '5.9.3'] },
  { name: 'nest11-cjs-nodenext', nest: 11, esm: false, module: 'nodenext', typescript: ['5.7.3', '5.9.3'] },
  {
    name: 'nest12-cjs-nodenext',
    nest: 12,
    esm: false,
    module: 'nodenext',
    typescript: ['5.9.3', '6.0.3'],
    e2eFromNode: [24, 9],
  },
  { name: 'nest12-esm-nodenext', nest: 12, esm: true, module: 'nodenext', typescript: ['5.7.3', '5.9.3', '6.0.3'] },
  { name: 'nest12-esm-bundler', nest: 12, esm: true, module: 'bundler', typescript: ['5.7.3', '5.9.3', '6.0.3'] },
  // An ESM app that kept Jest: ts-jest with useESM, run with --experimental-vm-modules. Under
  // `import` the package must load no CommonJS that require()s Nest 12 (Jest's require cannot load ESM).
  {
    name: 'nest12-esm-jest',
    nest: 12,
    esm: true,
    jest: true,
    module: 'nodenext',
    typescript: ['5.9.3', '6.0.3'],
    fastifyE2eFromNode: [24, 9],
  },
];

// The templates' test:e2e scripts (`nest build` is tsc with tsconfig.build.json underneath).
const TEST_E2E = (app) =>
  app.esm && !app.jest
    ? 'vitest run --config ./vitest.config.e2e.ts'
    : `${app.nest === 12 ? 'node --experimental-vm-modules ' : ''}jest --config ./test/jest-e2e.json`;

/** The Node arguments that run an app's test:e2e script, for a given Node binary. */
export const e2eArguments = (app, { expressOnly = false } = {}) =>
  app.esm && !app.jest
    ? ['node_modules/vitest/vitest.mjs', 'run', '--config', './vitest.config.e2e.ts']
    : [
        ...(app.nest === 12 ? ['--experimental-vm-modules'] : []),
        'node_modules/jest/bin/jest.js',
        '--config',
        './test/jest-e2e.json',
        ...(expressOnly ? ['test/app.e2e-spec.ts'] : []),
      ];

const json = (value) => JSON.stringify(value, null, 2) + '\n';

/** The files of one app, by path relative to its folder. */
export function appFiles(app) {
  const js = app.esm ? '.js' : ''; // ESM apps write relative imports with their extension
  const tsconfig = { ...TSCONFIG[app.nest], ...MODULE[app.module] };
  if (app.esm && !app.jest) tsconfig.types = ['vitest/globals', 'node'];
  else if (app.nest === 12) tsconfig.types = ['node', 'jest'];
  const files = {
    'package.json': json({
      name: app.name,
      version: '0.0.1',
      private: true,
      license: 'UNLICENSED',
      ...(app.esm ? { type: 'module' } : {}),
      scripts: { build: 'tsc -p tsconfig.build.json', 'start:prod': 'node dist/main', 'test:e2e': TEST_E2E(app) },
    }),
    'tsconfig.json': json({ compilerOptions: tsconfig }),
    'tsconfig.build.json': json(
      app.nest === 11
        ? { extends: './tsconfig.json', exclude: ['node_modules', 'test', 'dist', '**/*spec.ts'] }
        : {
            extends: './tsconfig.json',
            compilerOptions: { rootDir: './src' },
            include: ['src'],
            exclude: ['node_modules', 'test', 'dist', '**/*spec.ts'],
          },
    ),
    'src/main.ts': MAIN(js, app.esm),
    'src/app.module.ts': APP_MODULE(js, app.name, app.nest === 11),
    'src/app.controller.ts': CONTROLLER,
    ...(app.fastifyE2eFromNode
      ? { 'test/app.e2e-spec.ts': E2E(js, app.name, false), 'test/fastify.e2e-spec.ts': E2E(js, app.name, true) }
      : { 'test/app.e2e-spec.ts': E2E(js, app.name) }),
    // Run by compat: require() and import() of the package in one process meet one HeartbeatModule.
    'identity.mjs': IDENTITY,
    // The app's own gRPC service, beside which the hybrid app adds the health service.
    'ping.proto': PING_PROTO,
  };
  if (app.esm && app.jest) {
    // Jest's ESM setup for TypeScript: .ts files are ESM, ts-jest emits ESM, `./x.js` imports find `./x.ts`.
    files['test/jest-e2e.json'] = json({
      moduleFileExtensions: ['js', 'json', 'ts'],
      rootDir: '.',
      testEnvironment: 'node',
      testRegex: '.e2e-spec.ts$',
      extensionsToTreatAsEsm: ['.ts'],
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      transform: { '^.+\\.ts$': ['ts-jest', { useESM: true }] },
    });
  } else if (app.esm) {
    files['vitest.config.e2e.ts'] = VITEST;
  } else {
    files['test/jest-e2e.json'] = json({
      moduleFileExtensions: ['js', 'json', 'ts'],
      rootDir: '.',
      testEnvironment: 'node',
      testRegex: '.e2e-spec.ts$',
      transform: { '^.+\\.(t|j)s$': 'ts-jest' },
    });
  }
  return files;
}

// The template's main.ts; HTTP_ADAPTER picks Fastify so that compat starts each app on both. With
// GRPC_APP_PORT the app is also a gRPC microservice (a hybrid app) that serves the health service on
// its own gRPC server; GRPC_PORT (in AppModule) starts the module's standalone gRPC health server.
const MAIN = (js, esm) => `import { NestFactory } from '@nestjs/core';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { HeartbeatGrpcHealth } from 'nestjs-heartbeat';
import { AppModule } from './app.module${js}';

async function bootstrap() {
  const app =
    process.env.HTTP_ADAPTER === 'fastify'
      ? await NestFactory.create(AppModule, new FastifyAdapter())
      : await NestFactory.create(AppModule);
  if (process.env.GRPC_APP_PORT) {
    app.connectMicroservice<MicroserviceOptions>({
      transport: Transport.GRPC,
      options: {
        url: \`127.0.0.1:\${process.env.GRPC_APP_PORT}\`,
        package: 'ping',
        protoPath: 'ping.proto',
        onLoadPackageDefinition: (_pkg, server) => app.get(HeartbeatGrpcHealth).addToServer(server),
      },
    });
    await app.init();
    await app.startAllMicroservices();
  }
  await app.listen(process.env.PORT ?? 3000);
}
${esm ? 'await bootstrap();' : 'void bootstrap();'}
`;

const PING_PROTO = `syntax = "proto3";
package ping;
service Pinger {
  rpc Ping (PingRequest) returns (PingReply);
}
message PingRequest {
  string text = 1;
}
message PingReply {
  string text = 1;
}
`;

// Nest 11 apps also migrate from terminus 11: its MemoryHealthIndicator and an indicator of the old
// HealthIndicator + getStatus kind, as startup checks (their terminus view is probed by compat).
const TERMINUS = {
  imports: `import { HealthIndicator, MemoryHealthIndicator, TerminusModule } from '@nestjs/terminus';\n`,
  indicator: `
@Injectable()
export class DogHealthIndicator extends HealthIndicator {
  async isHealthy(key: string) {
    return this.getStatus(key, true, { goodboys: 1 });
  }
}
`,
  constructor: `
  constructor(
    private readonly memory: MemoryHealthIndicator,
    private readonly dogs: DogHealthIndicator,
  ) {}

  @StartupProbe()
  heap() {
    return this.memory.checkHeap('memory_heap', 8 * 1024 ** 3);
  }

  @StartupProbe()
  goodboys() {
    return this.dogs.isHealthy('dogs');
  }
`,
};

const APP_MODULE = (js, name, terminus) => `import { Injectable, Module } from '@nestjs/common';
import { EnvironProbe, HeartbeatModule, LivelinessProbe, ReadinessProbe${terminus ? ', StartupProbe' : ''} } from 'nestjs-heartbeat';
${terminus ? TERMINUS.imports : ''}import { AppController } from './app.controller${js}';
${terminus ? TERMINUS.indicator : ''}
@Injectable()
export class HealthChecks {${terminus ? TERMINUS.constructor : ''}
  @ReadinessProbe()
  @LivelinessProbe()
  database() {
    return ['database', true, { app: '${name}' }] as const;
  }

  @EnvironProbe()
  build() {
    return { app: '${name}' };
  }
}

@Module({
  // In a workspace too: environ finds the workspace root (where the package manager installs) by itself.
  imports: [
    ${terminus ? 'TerminusModule, ' : ''}HeartbeatModule.forRoot({
      logger: false,
      metrics: { prometheus: true, openTelemetry: true },
      // grpc: true lets a hybrid app add the health service to its gRPC server; GRPC_PORT adds the module's own.
      grpc: true,
      ...(process.env.GRPC_PORT ? { grpcPort: Number(process.env.GRPC_PORT) } : {}),
    }),
  ],
  controllers: [AppController],
  providers: [HealthChecks${terminus ? ', DogHealthIndicator' : ''}],
})
export class AppModule {}

// The first line of the README and of most users' AppModule: it must type-check with no argument.
@Module({ imports: [HeartbeatModule.forRoot()] })
export class MinimalModule {}
`;

const CONTROLLER = `import { Controller, Get, Header } from '@nestjs/common';
import { HeartbeatMetrics } from 'nestjs-heartbeat';

@Controller()
export class AppController {
  constructor(private readonly metrics: HeartbeatMetrics) {}

  @Get()
  getHello(): string {
    return 'Hello World!';
  }

  // The app's own /metrics, as an app without the management port serves them.
  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  async prometheus(): Promise<string> {
    return (await this.metrics.prometheusText())?.body ?? '';
  }
}
`;

/** The e2e test: Express and Fastify, or (`fastify` true/false) only one of them, as its own file. */
const E2E = (js, name, fastify) =>
  `${E2E_HEADER(js, name, fastify !== false)}${fastify === true ? '' : E2E_EXPRESS}${fastify === false ? '' : E2E_FASTIFY}`;

const E2E_HEADER = (js, name, fastify) => `import { Test, TestingModule } from '@nestjs/testing';
import { INestApplication } from '@nestjs/common';
${fastify ? "import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';\n" : ''}import request from 'supertest';
import { App } from 'supertest/types${js}';
import { expectProbe, fakeCheck, probe } from 'nestjs-heartbeat/testing';
import { AppModule } from './../src/app.module${js}';

const readiness = { status: true, checks: { database: { status: true, app: '${name}' } } };

`;

const E2E_EXPRESS = `describe('AppController (e2e)', () => {
  let app: INestApplication<App>;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();

    app = moduleFixture.createNestApplication();
    await app.init();
  });

  it('/ (GET)', () => {
    return request(app.getHttpServer()).get('/').expect(200).expect('Hello World!');
  });

  it('/.well-known/heartbeat/readiness (GET)', () => {
    return request(app.getHttpServer()).get('/.well-known/heartbeat/readiness').expect(200).expect(readiness);
  });

  it('readiness through nestjs-heartbeat/testing', async () => {
    expect((await probe(app, 'readiness')).body).toEqual(readiness);
    const restore = fakeCheck(app, 'database', { status: false, message: 'down' });
    expectProbe(await probe(app, 'readiness')).toFail('database', 'down');
    restore();
    expectProbe(await probe(app, 'readiness')).toPass('database');
  });

  afterEach(async () => {
    await app.close();
  });
});

`;

const E2E_FASTIFY = `describe('readiness on Fastify (e2e)', () => {
  let app: NestFastifyApplication;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();

    app = moduleFixture.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  it('/.well-known/heartbeat/readiness (GET)', () => {
    return request(app.getHttpServer()).get('/.well-known/heartbeat/readiness').expect(200).expect(readiness);
  });

  afterEach(async () => {
    await app.close();
  });
});
`;

const VITEST = `import { defineConfig } from 'vitest/config';
import tsconfigPaths from 'vite-tsconfig-paths';

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    globals: true,
    root: './',
    include: ['**/*.e2e-spec.ts'],
  },
});
`;

const IDENTITY = `import { createRequire } from 'node:module';

const core = await import('@nestjs/core');
const { NestFactory } = core.NestFactory ? core : core.default; // Nest 11 is CommonJS
const required = createRequire(import.meta.url)('nestjs-heartbeat');
const imported = await import('nestjs-heartbeat');
// Names the module systems add themselves (Node 23+ adds 'module.exports' to a CommonJS namespace).
const own = new Set(['__esModule', 'default', 'module.exports']);
const names = (entry) => Object.keys(entry).filter((name) => !own.has(name)).sort().join();
const shared = ['HeartbeatModule', 'ProbeRegistry', 'HeartbeatService', 'HEARTBEAT_MODULE_OPTIONS'];
// One registry: a module imported one way answers for the classes required the other way.
const root = imported.HeartbeatModule.forRoot({ logger: false, environ: false });
const app = await NestFactory.createApplicationContext(root, { logger: false });
let registry;
try {
  registry = app.get(required.ProbeRegistry) === app.get(imported.ProbeRegistry);
} catch (error) {
  registry = String(error.message).split('\\n')[0];
}
await app.close();
console.log(
  JSON.stringify({
    same: shared.every((name) => required[name] !== undefined && required[name] === imported[name]),
    names: names(required) === names(imported) || \`require(): \${names(required)}; import: \${names(imported)}\`,
    registry,
  }),
);
`;
