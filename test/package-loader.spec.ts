import { Global, Module } from '@nestjs/common';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { HeartbeatModule } from '../src/index.js';
import { importPackage, PACKAGE_LOADER, type PackageLoader } from '../src/util/package-loader.js';
import { ADAPTERS, createApp } from './support/app.js';

/** Provides the module's package loader app-wide (the module reads it where it is declared). */
function loaderModule(load: PackageLoader) {
  @Global()
  @Module({ providers: [{ provide: PACKAGE_LOADER, useValue: load }], exports: [PACKAGE_LOADER] })
  class LoaderModule {}
  return LoaderModule;
}

/** A name no registry holds, so the real loader fails the way a missing optional peer does. */
const absent = (name: string) => `${name.replace('@', '').replace('/', '-')}-not-installed-a8f3`;

/** The useful line every such bootstrap error starts with. */
const useful = (option: string, name: string) =>
  `HeartbeatModule: ${option} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (`;

const PEERS = [
  [{ metrics: { prometheus: true } }, 'prom-client', 'metrics.prometheus'],
  [{ metrics: { openTelemetry: true } }, '@opentelemetry/api', 'metrics.openTelemetry'],
  [{ grpc: true }, 'grpc-health-check', 'grpc: true'],
  [{ grpcPort: 0 }, '@grpc/grpc-js', 'grpcPort'],
] as const;

describe.each(ADAPTERS)('a missing optional peer (%s)', (adapter) => {
  // The real loader (import() of the source; in Jest its message names the importing file), asked
  // for a name no registry holds in place of `name`; the other peers the option needs load as usual.
  it.each(PEERS)('%j: the message starts with the package and npm install', async (options, name, option) => {
    const load: PackageLoader = (asked) => importPackage(asked === name ? absent(asked) : asked);
    const failure = await createApp(adapter, {
      imports: [loaderModule(load), HeartbeatModule.forRoot({ logger: false, environ: false, ...options })],
    }).then(
      async (app) => {
        await app.close();
        return null;
      },
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    const { message, cause } = failure!;
    expect(message.startsWith(useful(option, name))).toBe(true);
    expect(message).toContain(absent(name)); // the loader's first line, after the useful part
    expect(message).not.toMatch(/\\n|\n/);
    expect((cause as Error).message).toContain(absent(name));
  });
});

it("in a CommonJS app, Node's require stack stays in the cause, out of the message", async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['test/fixtures/missing-peer-app.mjs']);
  const { message, cause } = JSON.parse(stdout) as { message: string; cause: string };
  expect(cause).toContain('\nRequire stack:\n- ');
  expect(message).toBe(
    `${useful('metrics.prometheus', 'prom-client')}Cannot find module 'prom-client-not-installed-a8f3')`,
  );
});
