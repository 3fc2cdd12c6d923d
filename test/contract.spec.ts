import { Injectable, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EnvironProbe, HeartbeatModule, LivelinessProbe, LivenessProbe, ReadinessProbe } from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { createEnvironRoot, removeEnvironRoot } from './support/transports.js';

const BASE = '/.well-known/heartbeat';

@Injectable()
class ReturnForms {
  @ReadinessProbe()
  tuple() {
    return ['database', true, { time: 0.5 }] as const;
  }
  @ReadinessProbe()
  shortTuple() {
    return ['cache', true] as const;
  }
  @ReadinessProbe('search')
  object() {
    return { status: true, indices: 3 };
  }
  @ReadinessProbe()
  boolean() {
    return true;
  }
  @ReadinessProbe()
  nothing() {}
  @ReadinessProbe()
  async asyncTuple() {
    return ['queue', true, { depth: 0 }] as const;
  }
}

@Injectable()
class Failures {
  @LivelinessProbe()
  throws(): never {
    throw new Error('connection refused');
  }
  @LivelinessProbe()
  async rejects(): Promise<never> {
    throw new Error('timeout talking to redis');
  }
  @LivelinessProbe()
  returnsFalse() {
    return false;
  }
  @LivelinessProbe()
  statusInData() {
    return ['overridden', true, { status: false, note: 'data status is ignored' }] as const;
  }
  @LivelinessProbe()
  invalid() {
    return 'ok';
  }
}

@Injectable()
class Stacked {
  calls = 0;
  @ReadinessProbe()
  @LivelinessProbe()
  @LivenessProbe('alias')
  database() {
    this.calls++;
    return ['database', true, { calls: this.calls }] as const;
  }
}

@Injectable()
class Duplicates {
  @ReadinessProbe()
  first() {
    return ['db', true, { which: 'first' }] as const;
  }
  @ReadinessProbe()
  second() {
    return ['db', false, { which: 'second' }] as const;
  }
  @ReadinessProbe('db#2')
  third() {
    return { status: true, which: 'third' };
  }
}

@Injectable()
class Environ {
  @EnvironProbe()
  app() {
    return [true, { app: { name: 'shop', version: '1.2.3' }, region: 'eu' }] as const;
  }
  @EnvironProbe()
  plain() {
    return { region: 'us', status: false, build: 42 };
  }
}

@Injectable()
class FailingEnviron {
  @EnvironProbe()
  declared() {
    return [false, { queue: 'degraded' }] as const;
  }
  @EnvironProbe()
  broken(): never {
    throw new Error('vault unreachable');
  }
}

describe.each(ADAPTERS)('the seed contract (%s)', (adapter) => {
  let app: INestApplication;
  const get = (probe: string) => request(app.getHttpServer()).get(`${BASE}/${probe}`);
  afterEach(() => app?.close());

  it('accepts every return form, in registration order', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [ReturnForms] });
    const res = await get('readiness');
    expect(res.status).toBe(200);
    expect(res.text).toBe(
      JSON.stringify({
        status: true,
        checks: {
          database: { status: true, time: 0.5 },
          cache: { status: true },
          search: { status: true, indices: 3 },
          boolean: { status: true },
          nothing: { status: true },
          queue: { status: true, depth: 0 },
        },
      }),
    );
  });

  it('fails the aggregate when one check fails, reporting each', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Failures] });
    const withheld = (source: string) =>
      `${source} failed: threw Error; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')`;
    const safe = await get('liveliness');
    expect(safe.status).toBe(500);
    expect(safe.body.checks.throws).toEqual({ status: false, message: withheld('Failures.throws') });
    expect(safe.body.checks.rejects).toEqual({ status: false, message: withheld('Failures.rejects') });
    await app.close();

    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, details: 'always' })],
      providers: [Failures],
    });
    const res = await get('liveliness');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      status: false,
      checks: {
        throws: { status: false, message: 'Failures.throws failed: connection refused' },
        rejects: { status: false, message: 'Failures.rejects failed: timeout talking to redis' },
        returnsFalse: { status: false },
        overridden: { status: true, note: 'data status is ignored' },
        invalid: { status: false, message: 'Failures.invalid returned an invalid result: a string ("ok")' },
      },
    });
    expect(res.text).not.toMatch(/\bat .*\.ts:\d+/);
  });

  it('runs a method with stacked decorators on each probe', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Stacked] });
    const ready = await get('readiness');
    expect(ready.body).toEqual({ status: true, checks: { database: { status: true, calls: 1 } } });
    const live = await get('liveness');
    // The same method is registered twice on liveliness (plain and named "alias"); the tuple's name wins.
    expect(Object.keys(live.body.checks)).toEqual(['database', 'database#2']);
    expect(live.body.status).toBe(true);
  });

  it('never lets two results with one name overwrite each other', async () => {
    app = await createApp(adapter, { imports: [HeartbeatModule.forRoot({ logger: false })], providers: [Duplicates] });
    const res = await get('readiness');
    expect(res.status).toBe(500);
    expect(res.body.checks).toEqual({
      db: { status: true, which: 'first' },
      'db#2': { status: false, which: 'second' },
      'db#2#2': { status: true, which: 'third' },
    });
  });

  it('merges environ contributors shallowly in order, keeping the aggregate status', async () => {
    // A generated app root: the machine's own node_modules may have conflicts or be mid-install.
    const root = createEnvironRoot();
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: { root } })],
      providers: [Environ],
    });
    // A loaded machine may answer before the one-time inventory has finished: ask until it has.
    let res = await get('environ');
    while (res.body.inventory?.complete === false) res = await get('environ');
    removeEnvironRoot(root);
    expect(res.status).toBe(200);
    // Built-in contributors come first; a later key (here `app`) replaces an earlier one.
    expect(Object.keys(res.body)).toEqual(['status', 'libraries', 'node', 'runtime', 'app', 'region', 'build']);
    expect(res.body.status).toBe(true);
    expect(res.body.app).toEqual({ name: 'shop', version: '1.2.3' });
    expect(res.body.region).toBe('us');
    expect(res.body.build).toBe(42);
  });

  it('fails environ when a contributor fails, naming it under errors', async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, details: 'always' })],
      providers: [FailingEnviron],
    });
    const res = await get('environ');
    expect(res.status).toBe(500);
    expect(res.body.status).toBe(false);
    expect(res.body.queue).toBe('degraded');
    expect(res.body.errors).toEqual({ 'FailingEnviron.broken': 'FailingEnviron.broken failed: vault unreachable' });
    expect(res.body.libraries).toBeDefined();
  });
});
