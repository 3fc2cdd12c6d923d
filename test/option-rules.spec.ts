import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  HeartbeatManagementServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
  HeartbeatService,
  ProbeRegistry,
  ReadinessProbe,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';

const BASE = '/.well-known/heartbeat';

/** A check that passes, whose result must survive whatever else is registered. */
@Injectable()
class Sentinel {
  @ReadinessProbe()
  sentinel() {
    return true;
  }
}

/** A revoked Proxy: any reading of it throws. */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

describe.each(ADAPTERS)('one validator for every option (%s)', (adapter) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const boot = (module: unknown, providers: unknown[] = []) =>
    createApp(adapter, { imports: [module as never], providers: providers as never[] });
  const heartbeat = (options: Record<string, unknown>) =>
    HeartbeatModule.forRoot({ logger: false, environ: false, ...options } as HeartbeatModuleOptions);

  it.each([
    ["''", ''],
    ['null', null],
    ['123', 123],
    ['with a space', ' 127.0.0.1'],
    ['of 300 characters', 'x'.repeat(300)],
  ])('refuses host %s instead of binding every interface', async (_label, host) => {
    await expect(boot(heartbeat({ port: 0, host }))).rejects.toThrow('HeartbeatModule: option "host" must be');
  });

  it('binds the management port to loopback by default, and refuses a grpcHost of null, 123 or with a space', async () => {
    app = await boot(heartbeat({ port: 0 }));
    expect(app.get(HeartbeatManagementServer).address()?.host).toBe('127.0.0.1');
    for (const grpcHost of [null, 123, 'a b']) {
      await expect(boot(heartbeat({ grpc: true, grpcHost }))).rejects.toThrow('option "grpcHost" must be');
    }
  });

  it.each([
    ['123', 123],
    ['{}', {}],
    ['a symbol', Symbol('x')],
    ["''", ''],
    ['of 101 characters', 'x'.repeat(101)],
  ])('register() refuses the name %s, and readiness keeps every other check', async (_label, name) => {
    app = await boot(heartbeat({}), [Sentinel]);
    const registry = app.get(ProbeRegistry);
    expect(() => registry.register('readiness', () => true, { name } as never)).toThrow(
      /^ProbeRegistry\.register\('readiness', …\): option "name" must be a non-empty string of at most 100 characters/,
    );
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect([res.status, res.body]).toEqual([200, { status: true, checks: { sentinel: { status: true } } }]);
  });

  it('keeps the report whole should a check with a name that is not a string reach the registry', async () => {
    app = await boot(heartbeat({}), [Sentinel]);
    // `add` is the registry's internal door (the module's own contributors): defence in depth behind register.
    app.get(ProbeRegistry).add({
      kind: 'readiness',
      name: 123 as never,
      source: 'internal',
      handler: () => true,
      options: {},
      trusted: false,
    });
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect(res.status).toBe(200);
    expect(res.body.checks.sentinel).toEqual({ status: true });
  });

  it('register() refuses unknown keys, a critical that is not a boolean and a hostile options object', async () => {
    app = await boot(heartbeat({}), [Sentinel]);
    const registry = app.get(ProbeRegistry);
    const register = (options: unknown) => () => registry.register('readiness', () => true, options as never);
    expect(register({ timeoutMS: 5 })).toThrow(
      `ProbeRegistry.register('readiness', …): unknown option "timeoutMS" (did you mean "timeoutMs"?)`,
    );
    expect(register({ critical: 'no' })).toThrow(
      `ProbeRegistry.register('readiness', …): option "critical" must be true or false (got "no").`,
    );
    expect(register(revoked())).toThrow(`ProbeRegistry.register('readiness', …): option "options" could not be read`);
    const getter = Object.defineProperty({}, 'timeoutMs', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    expect(register(getter)).toThrow(`option "timeoutMs" could not be read (boom)`);
    expect(() => registry.register('readiness', { run: 1, name: 'x' } as never)).toThrow(
      'option "handler.run" must be a function',
    );
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
    expect([res.status, res.body]).toEqual([200, { status: true, checks: { sentinel: { status: true } } }]);
  });

  it('register() refuses a ready-made check whose health cannot be read, and health+json keeps answering', async () => {
    app = await boot(heartbeat({}), [Sentinel]);
    const health = Object.defineProperty({ observedKey: 'x', observedUnit: 'ms' }, 'componentType', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const check = { name: 'made', run: () => Promise.resolve({ status: true }), health };
    expect(() => app!.get(ProbeRegistry).register('readiness', check as never)).toThrow(
      `ProbeRegistry.register('readiness', …): option "handler.health.componentType" could not be read (boom).`,
    );
    const res = await request(app.getHttpServer()).get(`${BASE}/readiness?format=health+json`);
    expect(res.status).toBe(200);
    expect(Object.keys(JSON.parse(res.text).checks)).toEqual(['sentinel']);
  });

  it('fails the bootstrap on a decorator option it cannot use, naming the decorator and Class.method', async () => {
    @Injectable()
    class Typo {
      @ReadinessProbe({ timeoutMS: 5 } as never)
      database() {
        return true;
      }
    }
    @Injectable()
    class NotBoolean {
      @ReadinessProbe({ critical: 'no' } as never)
      cache() {
        return true;
      }
    }
    await expect(boot(heartbeat({}), [Typo])).rejects.toThrow(
      '@ReadinessProbe() on Typo.database: unknown option "timeoutMS" (did you mean "timeoutMs"?)',
    );
    await expect(boot(heartbeat({}), [NotBoolean])).rejects.toThrow(
      '@ReadinessProbe() on NotBoolean.cache: option "critical" must be true or false (got "no").',
    );
  });

  it.each([[{}], ['console'], [42], [null]])('refuses logger %p', async (logger) => {
    await expect(boot(heartbeat({ logger }))).rejects.toThrow(
      'HeartbeatModule: option "logger" must be false or a logger (an object with log, error and warn methods)',
    );
  });

  it.each([
    [42, '(got 42)'],
    [[], '(got an array)'],
    [null, '(got null)'],
    ['x', '(got "x")'],
  ])('refuses forRoot(%p) at bootstrap', async (options, got) => {
    await expect(boot(HeartbeatModule.forRoot(options as never))).rejects.toThrow(
      `HeartbeatModule: option "options" must be an object of options ${got}`,
    );
  });

  it.each([
    [null, '(got null)'],
    ['str', '(got "str")'],
    [[], '(got an array)'],
  ])('refuses a forRootAsync factory returning %p', async (result, got) => {
    await expect(boot(HeartbeatModule.forRootAsync({ useFactory: () => result as never }))).rejects.toThrow(
      `HeartbeatModule: the forRootAsync factory (useFactory, or createHeartbeatOptions() of useClass/useExisting) must return an object of options ${got}`,
    );
  });

  it('refuses forRootAsync without a factory, or with a module option beside it', async () => {
    await expect(boot(HeartbeatModule.forRootAsync({} as never))).rejects.toThrow(
      'exactly one of useFactory, useClass or useExisting must be given (got none)',
    );
    await expect(boot(HeartbeatModule.forRootAsync({ useFactory: () => ({}), timeoutMs: 5 } as never))).rejects.toThrow(
      'HeartbeatModule.forRootAsync(): option "timeoutMs" is a module option: return it from the factory',
    );
  });

  it('names the option for environ.root, path and the checks list instead of a raw error', async () => {
    await expect(boot(heartbeat({ environ: { root: 123 } }))).rejects.toThrow(
      'HeartbeatModule: option "environ.root" must be a non-empty path (got 123).',
    );
    for (const path of ['?x', 'a/:id', 'a/../b', 'a b']) {
      await expect(boot(heartbeat({ path }))).rejects.toThrow('HeartbeatModule: option "path" must be a route prefix');
      await expect(boot(HeartbeatModule.forRootAsync({ useFactory: () => ({ path }) }))).rejects.toThrow(
        'HeartbeatModule: option "path" must be a route prefix',
      );
    }
    await expect(boot(heartbeat({ checks: null }))).rejects.toThrow('HeartbeatModule: option "checks" must be');
    await expect(boot(heartbeat({ checks: { readiness: [{ name: 'x' }] } }))).rejects.toThrow(
      'HeartbeatModule: option "checks.readiness[0].run" must be a function (got undefined).',
    );
    await expect(boot(heartbeat({ routeDecorators: [1] }))).rejects.toThrow(
      'HeartbeatModule: option "routeDecorators" must be an array of class decorators (got an array).',
    );
  });

  it('accepts environ.public as a boolean, and refuses anything else', async () => {
    app = await boot(heartbeat({ environ: { public: true, root: process.cwd() } }));
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
    await expect(boot(heartbeat({ environ: { public: 'yes' } }))).rejects.toThrow(
      'HeartbeatModule: option "environ.public" must be true or false (got "yes").',
    );
  });

  it('refuses a rotation reason that is not a string, and keeps answering', async () => {
    app = await boot(heartbeat({}), [Sentinel]);
    const service = app.get(HeartbeatService);
    expect(() => service.takeOutOfRotation(Symbol('x') as never)).toThrow(
      'HeartbeatService.takeOutOfRotation(): option "reason" must be a non-empty string (got a symbol).',
    );
    expect((await request(app.getHttpServer()).get(`${BASE}/readiness`)).status).toBe(200);
  });
});
