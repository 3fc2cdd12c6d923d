/**
 * Bootstrap cost of discovery: an app of 2,000 providers with 10 methods each (one of them a probe),
 * with or without the module. Run by bench/run.mjs: node bench/dist/bootstrap.js <with|without>
 */
import 'reflect-metadata';
import { Injectable, Module, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { HeartbeatModule, ReadinessProbe } from 'nestjs-heartbeat';

const PROVIDERS = Number(process.env.BENCH_PROVIDERS ?? 2000);
const METHODS = 10;
const withModule = process.argv[2] === 'with';

function makeProvider(index: number): Type<unknown> {
  const methods: Record<string, () => boolean> = {};
  for (let m = 0; m < METHODS; m++) methods[`method${m}`] = () => true;
  const Provider = class {} as Type<unknown>;
  Object.defineProperty(Provider, 'name', { value: `Provider${index}` });
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(Provider.prototype, name, { value: fn, writable: true, configurable: true });
  }
  const descriptor = Object.getOwnPropertyDescriptor(Provider.prototype, 'method0')!;
  ReadinessProbe(`check-${index}`)(Provider.prototype, 'method0', descriptor);
  Injectable()(Provider);
  return Provider;
}

const providers = Array.from({ length: PROVIDERS }, (_, index) => makeProvider(index));
@Module({ imports: withModule ? [HeartbeatModule.forRoot({ logger: false })] : [], providers })
class Root {}

// Discovery itself, timed inside the process: the difference between two processes' bootstraps
// varies by tens of milliseconds from run to run on a shared machine.
let discoveryMs = 0;
// The module's own build (the same file the package entry loads), to time its discovery step alone:
// the explorer over every provider and the registration of what it finds (CheckSetup.onModuleInit).
const { CheckSetup } = (await import(new URL('../../dist/heartbeat.setup.js', import.meta.url).href)) as {
  CheckSetup: { prototype: { onModuleInit(): void } };
};
const setup = CheckSetup.prototype.onModuleInit;
CheckSetup.prototype.onModuleInit = function (this: unknown) {
  const start = performance.now();
  setup.call(this);
  discoveryMs += performance.now() - start;
};

const started = performance.now();
const cpu = process.cpuUsage();
const app = await NestFactory.createApplicationContext(Root, { logger: false });
await app.init();
const bootMs = performance.now() - started;
const used = process.cpuUsage(cpu);
process.send?.({
  type: 'boot',
  bootMs,
  cpuMs: (used.user + used.system) / 1000,
  discoveryMs,
  methods: PROVIDERS * METHODS,
});
await app.close();
