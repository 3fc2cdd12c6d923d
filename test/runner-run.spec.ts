import { jest } from '@jest/globals';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { HeartbeatModule, ProbeRegistry } from '../src/index.js';
import { ProbeRunner } from '../src/run/probe.runner.js';
import { normalizeCheck } from '../src/run/probe-result.normalizer.js';
import type { CheckReading } from '../src/state/check-outcome.js';
import { gate } from './support/gate.js';

const never = () => new Promise<never>(() => {});
/** An async check that settles after a few microtasks, with no I/O: the common cheap check. */
const microtasks = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

/** The runner: single flight, timeouts, order of results. */
describe('a run of checks', () => {
  let app: INestApplicationContext | undefined;
  let runner: ProbeRunner;
  let registry: ProbeRegistry;
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'queueMicrotask'], now: 1_000_000 }));
  afterEach(async () => {
    await app?.close();
    app = undefined;
    jest.useRealTimers();
  });
  async function boot(options: Parameters<typeof HeartbeatModule.forRoot>[0] = {}) {
    @Module({ imports: [HeartbeatModule.forRoot({ logger: false, environ: false, ...options })] })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    await app.init();
    runner = app.get(ProbeRunner);
    registry = app.get(ProbeRegistry);
  }
  const run = () => runner.run(registry.get('readiness'));
  const statuses = (results: readonly CheckReading[]) =>
    results.map((result) => [result.check.name, result.outcome.status]);
  /** Lets the microtask, nextTick hop of the timeout arming run (fake timers leave nextTick real). */
  const afterTicks = async () => {
    for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => process.nextTick(resolve));
  };

  it('answers the timeout of a check still pending once its timeout has passed, and leaves no timer behind', async () => {
    await boot({ timeoutMs: 200, abandonAfterMs: 0 });
    registry.register('readiness', never, { name: 'hung' });
    registry.register('readiness', microtasks, { name: 'quick' });
    const timers = jest.getTimerCount();
    let settled = false;
    const results = run().then((value) => ((settled = true), value));
    await afterTicks();
    await jest.advanceTimersByTimeAsync(199);
    expect(settled).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    const done = await results;
    expect(statuses(done)).toEqual([
      ['hung', false],
      ['quick', true],
    ]);
    expect(done[0].outcome.reason).toBe('hung timed out after 200 ms');
    expect(jest.getTimerCount()).toBe(timers);
  });

  it('clears the armed timer when the check settles before it', async () => {
    await boot({ timeoutMs: 1000 });
    const slow = gate();
    registry.register('readiness', () => slow.promise.then(() => true), { name: 'slow' });
    const timers = jest.getTimerCount();
    const results = run();
    await afterTicks();
    slow.resolve(true);
    expect(statuses(await results)).toEqual([['slow', true]]);
    expect(jest.getTimerCount()).toBe(timers);
  });

  it('puts synchronous, cached and pending results in registration order, and resolves once', async () => {
    await boot({ timeoutMs: 1000 });
    const pending = gate();
    let cachedCalls = 0;
    registry.register('readiness', () => pending.promise.then(() => false), { name: 'first' });
    registry.register('readiness', () => (cachedCalls++, true), { name: 'cached', cacheTtlMs: 60_000 });
    registry.register('readiness', () => ['sync', true], { name: 'sync' });
    const a = run();
    const b = run(); // while the first is under way: it joins the pending call
    pending.resolve(true);
    expect(await b).toEqual(await a);
    expect(statuses(await a)).toEqual([
      ['first', false],
      ['cached', true],
      ['sync', true],
    ]);
    const again = run(); // a new run once the first is over; the cached check is not called again
    expect(statuses(await again).map(([name]) => name)).toEqual(['first', 'cached', 'sync']);
    expect(cachedCalls).toBe(1);
  });

  it('calls a pending handler once for every run that asks meanwhile, whatever it excludes', async () => {
    await boot({ timeoutMs: 1000 });
    const pending = gate();
    let calls = 0;
    registry.register('readiness', () => (calls++, pending.promise), { name: 'db' });
    const checks = registry.get('readiness');
    const whole = runner.run(checks);
    const variant = runner.run(checks);
    expect(calls).toBe(1); // the second run joined the pending call
    pending.resolve(true);
    expect(await whole).toEqual(await variant);
    await runner.run(checks);
    expect(calls).toBe(2);
  });

  it('normalises a handler answering nothing or true as the normaliser does, names on one line', async () => {
    await boot();
    registry.register('readiness', () => undefined, { name: 'nothing' });
    registry.register('readiness', async () => true, { name: 'line\nbreak' });
    const first = await run();
    const [nothing, masked] = registry.get('readiness');
    expect(first[0].outcome).toEqual(normalizeCheck(nothing, undefined));
    expect(first[1].outcome).toEqual(normalizeCheck(masked, true));
    expect(first[1].outcome.name).not.toContain('\n');
  });

  it('gives the background scheduler its one result through refresh, joining a pending call', async () => {
    await boot({ timeoutMs: 1000 });
    const pending = gate();
    let calls = 0;
    registry.register('readiness', () => (calls++, pending.promise.then(() => ['db', false] as const)), {
      name: 'db',
    });
    const [check] = registry.get('readiness');
    const probe = run();
    const refreshed = runner.refresh(check);
    pending.resolve(true);
    expect((await refreshed).outcome.status).toBe(false);
    expect(statuses(await probe)).toEqual([['db', false]]);
    expect(calls).toBe(1);
  });
});
