import type { INestApplication } from '@nestjs/common';
import { MikroORM } from '@mikro-orm/postgresql';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import {
  drizzleCheck,
  type HealthChange,
  HeartbeatModule,
  HeartbeatService,
  mikroOrmCheck,
  pgCheck,
  prismaCheck,
  typeOrmCheck,
} from '../src/index.js';
import { ADAPTERS, createApp } from './support/app.js';
import { startPostgres } from './support/servers.js';

const BASE = '/.well-known/heartbeat';
const NAMES = ['postgres', 'typeorm', 'drizzle', 'mikro-orm', 'prisma'];

let server: Awaited<ReturnType<typeof startPostgres>>;
let pool: Pool;
let dataSource: DataSource;
let orm: MikroORM;
let prismaPool: Pool;

beforeAll(async () => {
  server = await startPostgres();
  const connection = { host: '127.0.0.1', port: server.port, user: 'postgres', database: 'postgres' };
  pool = new Pool({ ...connection, max: 2, password: 's3cret-pw' });
  // A pool's idle client that the stopped server drops emits `error` on the pool: without a listener, a crash.
  pool.on('error', () => {});
  prismaPool = new Pool({ ...connection, max: 1 });
  prismaPool.on('error', () => {});
  dataSource = await new DataSource({
    type: 'postgres',
    ...connection,
    username: 'postgres',
    extra: { max: 2 },
  }).initialize();
  orm = await MikroORM.init({
    ...connection,
    dbName: 'postgres',
    entities: [],
    discovery: { warnWhenNoEntities: false },
    pool: { min: 0, max: 2 },
  });
});

afterAll(async () => {
  await Promise.allSettled([pool?.end(), prismaPool?.end(), dataSource?.destroy(), orm?.close(true)]);
  await server?.close();
});

/** A Prisma client's `$queryRaw` shape, backed by the real `pg` client (Prisma's own needs generated code and engines). */
function prismaShaped(backing: Pool) {
  return {
    $queryRaw: (strings: TemplateStringsArray, ...values: unknown[]) => backing.query(strings.join('?'), values),
  };
}

function checks() {
  return [
    pgCheck({ pool }),
    typeOrmCheck({ dataSource }),
    drizzleCheck({ db: drizzle(pool) }),
    mikroOrmCheck({ orm }),
    prismaCheck({ client: prismaShaped(prismaPool) }),
  ];
}

describe.each(ADAPTERS)('checks of the app’s own PostgreSQL clients (%s)', (adapter) => {
  let app: INestApplication;
  const changes: HealthChange[] = [];
  beforeAll(async () => {
    app = await createApp(adapter, {
      imports: [HeartbeatModule.forRoot({ logger: false, environ: false, checks: { readiness: checks() } })],
    });
    app.get(HeartbeatService).onChange((change) => changes.push(change));
  });
  afterAll(() => app?.close());

  const readiness = () => request(app.getHttpServer()).get(`${BASE}/readiness`);
  const statuses = () =>
    Object.fromEntries(
      app
        .get(HeartbeatService)
        .state()
        .probes.readiness.checks.map((check) => [check.name, check.status]),
    );

  it('passes, fails while the server is stopped (with a masked reason), and passes again after it restarts', async () => {
    const up = await readiness();
    expect(up.status).toBe(200);
    for (const name of NAMES) expect(up.body.checks[name]).toEqual({ status: true, timeMs: expect.any(Number) });

    await server.stop();
    const down = await readiness();
    expect(down.status).toBe(500);
    for (const name of NAMES) {
      expect(down.body.checks[name]).toMatchObject({ status: false, message: expect.any(String) });
      expect(down.body.checks[name].message).not.toMatch(/s3cret/);
    }
    expect(statuses()).toEqual(Object.fromEntries(NAMES.map((name) => [name, false])));

    await server.start();
    const again = await readiness();
    expect(again.status).toBe(200);
    expect(statuses()).toEqual(Object.fromEntries(NAMES.map((name) => [name, true])));
    for (const name of NAMES) {
      expect(changes.filter((change) => change.check === name).map((change) => change.status)).toEqual([
        true,
        false,
        true,
      ]);
    }
  });

  it('opens no connection per probe: the server accepts no connection during 100 probes', async () => {
    await readiness();
    const before = server.acceptedConnections();
    for (let i = 0; i < 100; i++) expect((await readiness()).status).toBe(200);
    expect(server.acceptedConnections()).toBe(before);
  });
});

describe('client checks: options and timeouts', () => {
  it('names the option of a bad instance', () => {
    expect(() => pgCheck({ pool: {} as Pool })).toThrow('pgCheck(): option "pool" must be a pg Pool or Client');
    expect(() => typeOrmCheck({ dataSource: null as unknown as DataSource })).toThrow(
      /typeOrmCheck\(\): option "dataSource"/,
    );
    expect(() => drizzleCheck({ db: drizzle(pool), query: '' })).toThrow(/drizzleCheck\(\): option "query"/);
    expect(() => mikroOrmCheck({ orm, timeoutMs: 0 })).toThrow(/mikroOrmCheck\(\): option "timeoutMs"/);
    expect(() => prismaCheck({ client: prismaShaped(pool), nme: 'x' } as never)).toThrow(/unknown option "nme"/);
  });

  it('fails at its timeout when the client hangs, and gives up when the runner aborts its signal', async () => {
    const hanging = { query: () => new Promise<never>(() => {}) };
    const timed = await pgCheck({ pool: hanging, timeoutMs: 20 }).run();
    expect(timed).toMatchObject({ status: false, message: 'no answer within 20 ms' });
    const controller = new AbortController();
    const running = pgCheck({ pool: hanging, timeoutMs: 60_000 }).run(controller.signal);
    controller.abort(new Error('probe timed out'));
    expect(await running).toMatchObject({ status: false, message: 'aborted: probe timed out' });
  });

  it('masks credentials in a failing reason and never rejects when the client throws synchronously', async () => {
    const leaky = {
      query: () => {
        throw new Error('connect to postgres://app:hunter2@db:5432/app failed');
      },
    };
    const result = await pgCheck({ pool: leaky }).run();
    expect(result).toMatchObject({ status: false, message: 'connect to postgres://app:***@db:5432/app failed' });
  });
});
