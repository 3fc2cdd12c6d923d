import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import {
  diskCheck,
  EnvironProbe,
  eventLoopDelayCheck,
  type HeartbeatCheck,
  HeartbeatManagementServer,
  HeartbeatModule,
  type HeartbeatModuleOptions,
  HeartbeatService,
  httpCheck,
  LivelinessProbe,
  memoryCheck,
  ProbeRegistry,
  ReadinessProbe,
  StartupProbe,
  tcpCheck,
} from '../src/index.js';
import { KNOWN_OPTIONS } from '../src/heartbeat.options.js';
import { createApp } from './support/app.js';

/*
 * Every public entry point fed a table of wrong values, option by option: each either throws an
 * error naming the option (and never echoing a megabyte), or is valid and leaves a working app whose
 * readiness answers 200 with every other check's result. Nothing answers 500 or rejects unhandled.
 */

const BASE = '/.well-known/heartbeat';

/** A revoked Proxy: any reading of it throws. */
function revoked(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** An object whose every key reads as a throwing getter. */
function throwingGetters(): object {
  return new Proxy(
    {},
    {
      get() {
        throw new Error('getter threw');
      },
      ownKeys: () => ['timeoutMs'],
      getOwnPropertyDescriptor: () => ({ enumerable: true, configurable: true }),
    },
  );
}

const MEGABYTE = 'x'.repeat(2 ** 20);

/** The wrong values, by label. */
const WRONG: readonly (readonly [string, () => unknown])[] = [
  ['a word', () => 'no'],
  ["''", () => ''],
  ['42', () => 42],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Infinity],
  ['-1', () => -1],
  ['2^53', () => 2 ** 53],
  ['0.5', () => 0.5],
  ['true', () => true],
  ['false', () => false],
  ['null', () => null],
  ['{}', () => ({})],
  ['[]', () => []],
  ['a function', () => () => 1],
  ['a symbol', () => Symbol('x')],
  ['a bigint', () => 1n],
  ['a revoked Proxy', revoked],
  ['an object with throwing getters', throwingGetters],
  ['a 1 MB string', () => MEGABYTE],
];

@Injectable()
class Sentinel {
  @ReadinessProbe()
  sentinel() {
    return true;
  }
}

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => {
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** Asserts an error names `owner` and `option`, and stays short whatever it was given. */
function expectNamed(error: unknown, owner: string, option: string): void {
  const message = (error as Error).message;
  expect(typeof message).toBe('string');
  expect(message).toContain(owner);
  // The option itself, or the key within it that was wrong (`"environ.root"` for environ).
  expect(message).toContain(`"${option}`);
  expect(message.length).toBeLessThan(2000);
}

/** Asserts an error about a whole object of options names `owner` and one option (the object or a key in it). */
function expectNamedWithin(error: unknown, owner: string): void {
  const message = (error as Error).message;
  expect(message).toContain(owner);
  expect(message).toMatch(/option "[^"]+"/);
  expect(message.length).toBeLessThan(2000);
}

/** Asserts readiness answers 200 with the sentinel's result (an extra path prefix for `path`). */
async function expectWorking(app: INestApplication, base = BASE, server?: string): Promise<void> {
  const res = await request(server ?? app.getHttpServer()).get(`${base}/readiness`);
  expect(res.status).toBe(200);
  expect(res.body.checks.sentinel).toEqual({ status: true });
  // Every view reads the registered checks (health+json their `health`), so each must answer too.
  const health = await request(server ?? app.getHttpServer()).get(`${base}/readiness?format=health+json`);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.text).checks.sentinel[0].status).toBe('pass');
}

const FORROOT_OPTIONS = [...KNOWN_OPTIONS, 'path', 'isGlobal', 'routeDecorators', 'openApi'];
/** Nested options, fuzzed one key at a time. */
const NESTED: Record<string, readonly string[]> = {
  environ: ['root', 'env', 'public'],
  metrics: ['prometheus', 'openTelemetry', 'prefix'],
  checks: ['readiness', 'liveness', 'startup'],
};

describe('every module option, forRoot and the forRootAsync factory', () => {
  const boot = (module: unknown) => createApp('express', { imports: [module as never], providers: [Sentinel] });
  const base = { logger: false, environ: false, timeoutMs: 100, failureStatusCode: 503 };

  /** Boots with `options`; returns the error, or checks the app works and closes it. */
  async function outcome(module: unknown, path?: unknown): Promise<unknown> {
    let app: INestApplication;
    try {
      app = await boot(module);
    } catch (error) {
      return error;
    }
    try {
      const prefix = typeof path === 'string' ? path.replace(/^\/+|\/+$/g, '') : undefined;
      const port = app.get(HeartbeatManagementServer).address()?.port;
      // A valid `port` moves the probes there.
      const server = port === undefined ? undefined : `http://127.0.0.1:${port}`;
      await expectWorking(app, prefix === undefined ? BASE : prefix && `/${prefix}`, server);
    } finally {
      await app.close();
    }
    return undefined;
  }

  it.each(FORROOT_OPTIONS.map((option) => [option]))('%s', async (option) => {
    for (const [, make] of WRONG) {
      const value = make();
      const error = await outcome(
        HeartbeatModule.forRoot({ ...base, [option]: value } as HeartbeatModuleOptions),
        option === 'path' ? value : undefined,
      );
      if (error !== undefined) expectNamed(error, 'HeartbeatModule', option);
    }
  });

  it.each(Object.entries(NESTED).flatMap(([parent, keys]) => keys.map((key) => [parent, key])))(
    '%s.%s',
    async (parent, key) => {
      for (const [, make] of WRONG) {
        const value = make();
        const nested = parent === 'checks' ? { [key]: [value] } : { [key]: value };
        const error = await outcome(HeartbeatModule.forRoot({ ...base, [parent]: nested } as HeartbeatModuleOptions));
        if (error !== undefined)
          expectNamed(error, 'HeartbeatModule', parent === 'checks' ? `${parent}.${key}[0]` : `${parent}.${key}`);
      }
    },
  );

  it('the whole argument of forRoot and forRootAsync, and the factory result', async () => {
    for (const [, make] of WRONG) {
      const forRoot = await outcome(HeartbeatModule.forRoot(make() as never));
      if (forRoot !== undefined) expectNamedWithin(forRoot, 'HeartbeatModule');
      const forRootAsync = await outcome(HeartbeatModule.forRootAsync(make() as never));
      if (forRootAsync !== undefined)
        expect((forRootAsync as Error).message).toContain('HeartbeatModule.forRootAsync()');
      const value = make();
      const factory = await outcome(HeartbeatModule.forRootAsync({ useFactory: () => value as never }));
      if (factory !== undefined) {
        expect((factory as Error).message).toMatch(/^HeartbeatModule: (the forRootAsync factory|.*option "[^"]+")/);
      }
    }
  });
});

describe('ProbeRegistry.register, the decorators, the check factories and the rotation switch', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createApp('express', {
      // 503 for a failing probe, so that a 500 can only be a probe that could not be answered.
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, timeoutMs: 100, failureStatusCode: 503 })],
      providers: [Sentinel],
    });
  });
  afterAll(() => app.close());

  /** Registers as `attempt` does; if it was accepted, readiness must still answer 200 with the sentinel. */
  async function registered(attempt: () => () => void): Promise<unknown> {
    let unregister: () => void;
    try {
      unregister = attempt();
    } catch (error) {
      return error;
    }
    try {
      await expectWorking(app);
    } finally {
      unregister();
    }
    return undefined;
  }

  const OWNER = "ProbeRegistry.register('readiness', …)";
  const CHECK_OPTIONS = [
    'name',
    'timeoutMs',
    'cacheTtlMs',
    'abandonAfterMs',
    'critical',
    'intervalMs',
    'staleAfterMs',
    'failureThreshold',
    'successThreshold',
  ];

  it('register: kind, handler, the options object and each option', async () => {
    const registry = app.get(ProbeRegistry);
    for (const [, make] of WRONG) {
      const kind = await registered(() => registry.register(make() as never, () => true, { critical: false }));
      if (kind !== undefined) expect((kind as Error).message).toContain('Unknown probe kind');
      const handler = await registered(() => registry.register('readiness', make() as never, { critical: false }));
      if (handler !== undefined) expect((handler as Error).message).toMatch(/handler/);
      const options = await registered(() => registry.register('readiness', () => true, make() as never));
      if (options !== undefined) expectNamedWithin(options, OWNER);
      for (const member of ['run', 'name', 'health', 'dispose']) {
        const check = { name: 'made', run: () => Promise.resolve({ status: true }), [member]: make() };
        const error = await registered(() => registry.register('readiness', check as never, { critical: false }));
        if (error !== undefined) expectNamed(error, OWNER, `handler.${member}`);
      }
      for (const option of CHECK_OPTIONS) {
        const critical = option === 'critical' ? {} : { critical: false };
        const error = await registered(() =>
          registry.register('readiness', () => true, { ...critical, [option]: make() } as never),
        );
        if (error !== undefined) expectNamed(error, OWNER, option);
      }
    }
  });

  it('each check factory, option by option; an accepted check runs without failing readiness', async () => {
    const registry = app.get(ProbeRegistry);
    const factories: [string, (options: Record<string, unknown>) => HeartbeatCheck, Record<string, unknown>][] = [
      ['httpCheck()', httpCheck as never, { url: 'http://127.0.0.1:9/' }],
      ['tcpCheck()', tcpCheck as never, { host: '127.0.0.1', port: 9 }],
      ['diskCheck()', diskCheck as never, { path: '/' }],
      ['memoryCheck()', memoryCheck as never, {}],
      ['eventLoopDelayCheck()', eventLoopDelayCheck as never, {}],
    ];
    for (const [owner, factory, valid] of factories) {
      const keys = [
        ...Object.keys(valid),
        'timeoutMs',
        'name',
        'expectedStatus',
        'minFreeBytes',
        'minFreePercent',
        'heapUsedMaxBytes',
        'rssMaxBytes',
        'maxMs',
        'percentile',
        'resolutionMs',
        'histogram',
      ];
      for (const [, make] of WRONG) {
        for (const option of ['options', ...new Set(keys)]) {
          let check: HeartbeatCheck;
          try {
            check = factory((option === 'options' ? make() : { ...valid, [option]: make() }) as never);
          } catch (error) {
            if (option === 'options') expectNamedWithin(error, owner);
            else expectNamed(error, owner, option);
            continue;
          }
          try {
            expect(await registered(() => registry.register('readiness', check, { critical: false }))).toBeUndefined();
          } finally {
            check.dispose?.();
          }
        }
      }
    }
  });

  it('takeOutOfRotation(reason)', async () => {
    const service = app.get(HeartbeatService);
    for (const [, make] of WRONG) {
      try {
        service.takeOutOfRotation(make() as never);
      } catch (error) {
        expectNamed(error, 'HeartbeatService.takeOutOfRotation()', 'reason');
        continue;
      }
      // Out of rotation, readiness fails as a report (503 here), never as a transport failure (500).
      const res = await request(app.getHttpServer()).get(`${BASE}/readiness`);
      expect([res.status, res.body.checks?.rotation?.status]).toEqual([503, false]);
      service.returnToRotation();
      await expectWorking(app);
    }
  });
});

describe('each decorator, option by option (validated at bootstrap)', () => {
  const DECORATORS = [
    ['ReadinessProbe', ReadinessProbe],
    ['LivelinessProbe', LivelinessProbe],
    ['StartupProbe', StartupProbe],
    ['EnvironProbe', EnvironProbe],
  ] as const;
  const OPTIONS = ['options', 'name', 'timeoutMs', 'critical', 'intervalMs', 'failureThreshold'];
  // An environ contributor has no critical flag, schedule or thresholds: those keys are refused.
  const ENVIRON_OPTIONS = ['options', 'name', 'timeoutMs', 'cacheTtlMs', 'abandonAfterMs'];

  it.each(DECORATORS.map(([name, decorator]) => [name, decorator] as const))('@%s()', async (name, decorator) => {
    const environ = name === 'EnvironProbe';
    for (const [, make] of WRONG) {
      for (const option of environ ? ENVIRON_OPTIONS : OPTIONS) {
        const value = make();
        const base = environ ? {} : { critical: false };
        const argument = option === 'options' ? value : { ...base, [option]: value };
        @Injectable()
        class Fuzzed {
          check() {
            return true;
          }
        }
        const descriptor = Object.getOwnPropertyDescriptor(Fuzzed.prototype, 'check')!;
        (decorator as (argument: unknown) => MethodDecorator)(argument)(Fuzzed.prototype, 'check', descriptor);
        let app: INestApplication;
        try {
          app = await createApp('express', {
            imports: [
              HeartbeatModule.forRoot({ logger: false, environ: false, timeoutMs: 100, failureStatusCode: 503 }),
            ],
            providers: [Sentinel, Fuzzed],
          });
        } catch (error) {
          if (option === 'options') expectNamedWithin(error, `@${name}() on Fuzzed.check`);
          else expectNamed(error, `@${name}() on Fuzzed.check`, option);
          continue;
        }
        try {
          await expectWorking(app);
        } finally {
          await app.close();
        }
      }
    }
  });
});
