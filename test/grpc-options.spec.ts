import { Global, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { jest } from '@jest/globals';
import {
  HeartbeatGrpcHealth,
  HeartbeatGrpcServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
} from '../src/index.js';
import { resolveOptions } from '../src/heartbeat.options.js';
import { PACKAGE_LOADER, type PackageLoader } from '../src/util/package-loader.js';
import { GrpcWatchers } from '../src/observers/grpc/grpc-watchers.js';
import type { HealthCall } from '../src/observers/grpc/grpc-health.protocol.js';

/** Provides the module's package loader app-wide (the module reads it where it is declared). */
function loaderModule(load: PackageLoader) {
  @Global()
  @Module({ providers: [{ provide: PACKAGE_LOADER, useValue: load }], exports: [PACKAGE_LOADER] })
  class LoaderModule {}
  return LoaderModule;
}

/** A loader that records what it was asked for and fails for the packages in `missing`. */
function recordingLoader(missing: string[] = []) {
  const asked: string[] = [];
  const load: PackageLoader = (name) => {
    asked.push(name);
    return missing.includes(name) ? Promise.reject(new Error(`Cannot find module '${name}'`)) : import(name);
  };
  return { asked, load };
}

async function boot(options: HeartbeatModuleOptions, load: PackageLoader) {
  const moduleRef = await Test.createTestingModule({
    imports: [loaderModule(load), HeartbeatModule.forRoot({ logger: false, ...options })],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('gRPC packages', () => {
  it('loads nothing of gRPC unless asked', async () => {
    const { asked, load } = recordingLoader();
    const app = await boot({}, load);
    expect(asked).toEqual([]);
    expect(app.get(HeartbeatGrpcServer).address()).toBeNull();
    expect(() => app.get(HeartbeatGrpcHealth).addToServer({ addService: () => {} })).toThrow(
      'HeartbeatGrpcHealth.addToServer(server): the gRPC health service is off. Set the option grpc: true (or grpcPort)',
    );
    await app.close();
  });

  it('loads grpc-health-check alone for grpc: true, and @grpc/grpc-js too for grpcPort', async () => {
    const first = recordingLoader();
    await (await boot({ grpc: true }, first.load)).close();
    expect(first.asked).toEqual(['grpc-health-check']);
    const second = recordingLoader();
    await (await boot({ grpcPort: 0 }, second.load)).close();
    expect([...second.asked].sort()).toEqual(['@grpc/grpc-js', 'grpc-health-check']);
  });

  it.each([
    [{ grpc: true }, 'grpc-health-check', 'grpc: true'],
    [{ grpcPort: 0 }, 'grpc-health-check', 'grpcPort'],
    [{ grpcPort: 0 }, '@grpc/grpc-js', 'grpcPort'],
  ])('fails the bootstrap naming a missing package (%j, %s)', async (options, name, option) => {
    const { load } = recordingLoader([name]);
    await expect(boot(options, load)).rejects.toThrow(
      `HeartbeatModule: ${option} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (Cannot find module '${name}')`,
    );
  });

  it('tells a hybrid app that adds the service before init to call app.init() first', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [loaderModule(recordingLoader().load), HeartbeatModule.forRoot({ logger: false, grpc: true })],
    }).compile();
    expect(() => moduleRef.get(HeartbeatGrpcHealth).addToServer({ addService: () => {} })).toThrow(
      'the module has not been initialised yet. In a hybrid app, await app.init() before app.startAllMicroservices()',
    );
    await moduleRef.close();
  });

  it('fails the bootstrap when grpcPort is in use', async () => {
    const { load } = recordingLoader();
    const first = await boot({ grpcPort: 0 }, load);
    const { port } = first.get(HeartbeatGrpcServer).address()!;
    await expect(boot({ grpcPort: port }, load)).rejects.toThrow(
      `HeartbeatModule: the gRPC health server could not listen on 127.0.0.1:${port}:`,
    );
    await first.close();
  });
});

describe('gRPC options', () => {
  it.each([
    [{ grpcPort: -1 }, 'option "grpcPort" must be an integer from 0 to 65535 (got -1)'],
    [{ grpcPort: 65536 }, 'option "grpcPort" must be an integer from 0 to 65535 (got 65536)'],
    [{ grpcPort: 1.5 }, 'option "grpcPort" must be an integer from 0 to 65535 (got 1.5)'],
    [{ grpcPort: '50051' }, 'option "grpcPort" must be an integer from 0 to 65535 (got "50051")'],
    [{ grpc: 'yes' }, 'option "grpc" must be true or false (got "yes")'],
    [{ grpc: false, grpcPort: 50051 }, 'option "grpc" must be true or left out when grpcPort is set (got false)'],
    [
      { grpcPort: 0, grpcHost: '' },
      'option "grpcHost" must be a host name or IP address (a non-empty string of at most 253 characters, without spaces) (got "")',
    ],
    [
      { grpcWatchIntervalMs: 50 },
      'option "grpcWatchIntervalMs" must be whole milliseconds from 100 to 2147483647 (got 50)',
    ],
    [{ port: 9000, grpcPort: 9000 }, 'options "port" and "grpcPort" are both 9000'],
    [{ grpcPrt: 1 }, 'unknown option "grpcPrt" (did you mean "grpcPort"?)'],
  ])('%j fails: %s', (options, message) => {
    expect(() => resolveOptions(options as HeartbeatModuleOptions)).toThrow(message);
  });

  it('applies the defaults', () => {
    expect(resolveOptions({}).grpc).toEqual({ enabled: false, port: null, host: '127.0.0.1', watchIntervalMs: 5000 });
    expect(resolveOptions({ grpcPort: 0, grpcHost: '0.0.0.0' }).grpc).toEqual({
      enabled: true,
      port: 0,
      host: '0.0.0.0',
      watchIntervalMs: 5000,
    });
  });

  it('fails the bootstrap on an invalid gRPC option', async () => {
    await expect(boot({ grpcPort: 70000 }, recordingLoader().load)).rejects.toThrow('option "grpcPort"');
  });
});

/** A stand-in for a server's Watch call. */
function fakeCall(service: string) {
  const listeners: (() => void)[] = [];
  const call = {
    request: { service },
    cancelled: false,
    ended: false,
    on: (_event: 'cancelled', listener: () => void) => listeners.push(listener),
    end: () => void (call.ended = true),
    cancel: () => {
      call.cancelled = true;
      for (const listener of listeners) listener();
    },
  };
  return call satisfies HealthCall;
}

describe('the watch period', () => {
  afterEach(() => jest.useRealTimers());

  it('runs only while a stream is open, evaluates the watched probes, never overlaps, stops at close', async () => {
    jest.useFakeTimers();
    let finish = () => {};
    const evaluated: string[][] = [];
    const watchers = new GrpcWatchers(1000, (probes) => {
      evaluated.push([...probes]);
      return new Promise<void>((resolve) => (finish = resolve));
    });
    expect(jest.getTimerCount()).toBe(0);
    const group = new Set<HealthCall>();
    const ready = fakeCall('');
    const live = fakeCall('liveness');
    const unknown = fakeCall('payments');
    watchers.add(ready, group);
    watchers.add(live, group);
    watchers.add(unknown, group);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(1000);
    expect(evaluated).toEqual([['readiness', 'liveliness']]);
    jest.advanceTimersByTime(3000);
    expect(evaluated).toHaveLength(1);
    finish();
    await Promise.resolve();
    await Promise.resolve();
    live.cancel();
    jest.advanceTimersByTime(1000);
    expect(evaluated).toEqual([['readiness', 'liveliness'], ['readiness']]);
    ready.cancel();
    unknown.cancel();
    expect(watchers.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    const late = fakeCall('readiness');
    watchers.add(late, group);
    expect(jest.getTimerCount()).toBe(1);
    watchers.close();
    expect(late.ended).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    const afterClose = fakeCall('readiness');
    watchers.add(afterClose, group);
    expect(afterClose.ended).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends only the streams of the server that shuts down', () => {
    const watchers = new GrpcWatchers(1000, () => Promise.resolve());
    const [one, two] = [new Set<HealthCall>(), new Set<HealthCall>()];
    const a = fakeCall('');
    const b = fakeCall('');
    watchers.add(a, one);
    watchers.add(b, two);
    watchers.end(one);
    expect([a.ended, b.ended, watchers.size]).toEqual([true, false, 1]);
    watchers.close();
    expect(b.ended).toBe(true);
  });
});
