import { Controller, Get, Header, Injectable, Module, type DynamicModule, type Type } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService, TerminusModule } from '@nestjs/terminus';
import { HeartbeatModule, ProbeRegistry } from 'nestjs-heartbeat';
import { readFileSync } from 'node:fs';

/** What each scenario's checks do; the same for us and for terminus. */
export type Scenario = 'trivial' | 'stampede' | 'parallel' | 'slow' | 'environ' | 'saturation';

export const CHECK_NAMES: Record<Exclude<Scenario, 'environ'>, { names: string[]; delayMs: number }> = {
  trivial: { names: ['a', 'b', 'c'], delayMs: 0 },
  saturation: { names: ['a', 'b', 'c'], delayMs: 0 },
  stampede: { names: ['database'], delayMs: 200 },
  parallel: { names: ['a', 'b', 'c', 'd', 'e'], delayMs: 100 },
  slow: { names: ['database'], delayMs: 300 },
};

/** The body our readiness answers with the trivial checks; the bare routes answer it too. */
export const TRIVIAL_BODY = { status: true, checks: { a: { status: true }, b: { status: true }, c: { status: true } } };

/** How many times any check handler ran, reported to the bench runner. */
export const counters = { calls: 0 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function check(delayMs: number): Promise<void> {
  counters.calls++;
  if (delayMs > 0) await sleep(delayMs);
}

/** The body of the bare routes: the trivial readiness body, or (environ scenario) a copy of our environ body. */
const BARE_BODY: unknown = process.env.BENCH_BODY_FILE
  ? JSON.parse(readFileSync(process.env.BENCH_BODY_FILE, 'utf8'))
  : TRIVIAL_BODY;

@Controller()
class BareController {
  @Get('bare')
  @Header('Cache-Control', 'no-store')
  bare() {
    return BARE_BODY;
  }
}

/** A bare Nest route returning the same body. */
@Module({ controllers: [BareController] })
export class BareModule {}

/** The CPU one request of the saturation scenario costs. */
export const BURN_MS = 20;

@Controller()
class BurnController {
  @Get('burn')
  burn() {
    const until = performance.now() + BURN_MS;
    while (performance.now() < until);
    return { burnt: BURN_MS };
  }
}

/** A route that burns `BURN_MS` of CPU per request: driven past saturation, the app's loop is never idle. */
@Module({ controllers: [BurnController] })
export class BurnModule {}

/** Our module, with the scenario's checks registered as a user would. */
export function heartbeatModule(scenario: Scenario, extra: Record<string, unknown> = {}): Type<unknown> {
  @Injectable()
  class Checks {
    constructor(registry: ProbeRegistry) {
      if (scenario === 'environ') return;
      const { names, delayMs } = CHECK_NAMES[scenario];
      for (const name of names) registry.register('readiness', () => check(delayMs), { name });
    }
  }
  @Module({
    imports: [HeartbeatModule.forRoot({ logger: false, ...extra }) as DynamicModule],
    providers: [Checks],
  })
  class HeartbeatBenchModule {}
  return HeartbeatBenchModule;
}

/** @nestjs/terminus with equivalent indicators. */
export function terminusModule(scenario: Exclude<Scenario, 'environ'>): Type<unknown> {
  const { names, delayMs } = CHECK_NAMES[scenario];
  @Controller('health')
  class HealthController {
    constructor(
      private readonly health: HealthCheckService,
      private readonly indicators: HealthIndicatorService,
    ) {}
    @Get()
    @HealthCheck()
    check() {
      return this.health.check(
        names.map((name) => async () => {
          await check(delayMs);
          return this.indicators.check(name).up();
        }),
      );
    }
  }
  @Module({ imports: [TerminusModule.forRoot({ logger: false })], controllers: [HealthController] })
  class TerminusBenchModule {}
  return TerminusBenchModule;
}
