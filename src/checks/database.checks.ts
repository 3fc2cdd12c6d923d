import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { MIKRO_ORM_NOT_CONNECTED, TYPEORM_NOT_INITIALIZED } from '../heartbeat.messages.js';
import { optional, textRule, withMethods } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';

/** The option holding the app's client, what it must be (for errors), and the method the check calls. */
type ClientOption = readonly [key: string, expected: string, method: string];

const SQL = textRule('a non-empty SQL string of at most 10000 characters', 10_000);

/**
 * A check that runs one query on the app's client (a `clientCheck`): `call` gets the client and the
 * SQL, the `query` option when `takesQuery` (default `SELECT 1`), and resolves when the database answered.
 */
function queryCheck<T>(
  owner: string,
  name: string,
  [key, expected, method]: ClientOption,
  call: (client: T, sql: string) => PromiseLike<unknown>,
  options: unknown,
  takesQuery = false,
): HeartbeatCheck {
  return clientCheck<T>(
    {
      owner,
      instance: [key, withMethods<T>(expected, [method])],
      known: takesQuery ? ['query'] : [],
      name,
      probe: (client, given) => {
        const sql = (takesQuery ? optional(owner, 'query', given.query, SQL) : undefined) ?? 'SELECT 1';
        return async () => {
          await call(client, sql);
        };
      },
    },
    options,
  );
}

/** A `pg` Pool or Client, as the check uses it. */
export interface PgQueryable {
  query(text: string): PromiseLike<unknown>;
}

/** Options of `pgCheck`. */
export interface PgCheckOptions extends ClientCheckOptions {
  /** The app's own `pg` Pool (or Client): the check borrows an idle connection, it opens none of its own. */
  pool: PgQueryable;
}

/** Runs `SELECT 1` on the app's `pg` Pool or Client. Reports `{ timeMs }`; default name `postgres`. */
export function pgCheck(options: PgCheckOptions): HeartbeatCheck {
  const pool: ClientOption = ['pool', 'a pg Pool or Client (an object with a query method)', 'query'];
  return queryCheck('pgCheck()', 'postgres', pool, (client: PgQueryable) => client.query('SELECT 1'), options);
}

/** A TypeORM `DataSource`, as the check uses it. */
export interface TypeOrmDataSource {
  readonly isInitialized: boolean;
  query(text: string): PromiseLike<unknown>;
}

/** Options of `typeOrmCheck`. */
export interface TypeOrmCheckOptions extends ClientCheckOptions {
  /** The app's own DataSource (inject it with `@InjectDataSource()` or `DataSource`). */
  dataSource: TypeOrmDataSource;
  /** The query run on each probe. Default `SELECT 1` (valid on PostgreSQL, MySQL, SQLite, SQL Server; Oracle wants `SELECT 1 FROM DUAL`). */
  query?: string;
}

/** Runs `SELECT 1` through the app's TypeORM DataSource (its pool). Reports `{ timeMs }`; default name `typeorm`. */
export function typeOrmCheck(options: TypeOrmCheckOptions): HeartbeatCheck {
  const run = (dataSource: TypeOrmDataSource, sql: string) => {
    if (dataSource.isInitialized !== true) throw new ClientDown(TYPEORM_NOT_INITIALIZED);
    return dataSource.query(sql);
  };
  return queryCheck('typeOrmCheck()', 'typeorm', ['dataSource', 'a TypeORM DataSource', 'query'], run, options, true);
}

/** A Prisma client, as the check uses it (`$queryRaw` as a tagged template). */
export interface PrismaQueryable {
  $queryRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<unknown>;
}

/** Options of `prismaCheck`. */
export interface PrismaCheckOptions extends ClientCheckOptions {
  /** The app's own PrismaClient (or your `PrismaService` that extends it). */
  client: PrismaQueryable;
}

/** Runs `SELECT 1` through the app's PrismaClient. Reports `{ timeMs }`; default name `prisma`. */
export function prismaCheck(options: PrismaCheckOptions): HeartbeatCheck {
  const client: ClientOption = ['client', 'a PrismaClient (an object with a $queryRaw method)', '$queryRaw'];
  return queryCheck('prismaCheck()', 'prisma', client, (p: PrismaQueryable) => p.$queryRaw`SELECT 1`, options);
}

/** A Drizzle database, as the check uses it (`execute` takes raw SQL text on the PostgreSQL and MySQL drivers). */
export interface DrizzleExecutable {
  execute(query: string): PromiseLike<unknown>;
}

/** Options of `drizzleCheck`. */
export interface DrizzleCheckOptions extends ClientCheckOptions {
  /** The app's own Drizzle database (`drizzle(pool)`). */
  db: DrizzleExecutable;
  /** The query. Default `SELECT 1`. */
  query?: string;
}

/** Runs `SELECT 1` through the app's Drizzle database (its driver's pool). Reports `{ timeMs }`; default name `drizzle`. */
export function drizzleCheck(options: DrizzleCheckOptions): HeartbeatCheck {
  const db: ClientOption = ['db', 'a Drizzle database (an object with an execute method)', 'execute'];
  return queryCheck('drizzleCheck()', 'drizzle', db, (d: DrizzleExecutable, sql) => d.execute(sql), options, true);
}

/** A MikroORM instance, as the check uses it. */
export interface MikroOrmConnectable {
  checkConnection(): PromiseLike<{ ok: true } | { ok: false; reason: string }>;
}

/** Options of `mikroOrmCheck`. */
export interface MikroOrmCheckOptions extends ClientCheckOptions {
  /** The app's own `MikroORM` instance. */
  orm: MikroOrmConnectable;
}

/** Asks the app's MikroORM whether its connection answers (`checkConnection`, a `select 1` on its pool). Default name `mikro-orm`. */
export function mikroOrmCheck(options: MikroOrmCheckOptions): HeartbeatCheck {
  const run = async (orm: MikroOrmConnectable) => {
    const answer = await orm.checkConnection();
    if (answer?.ok !== true)
      throw new ClientDown(String((answer as { reason?: unknown } | undefined)?.reason ?? MIKRO_ORM_NOT_CONNECTED));
  };
  return queryCheck('mikroOrmCheck()', 'mikro-orm', ['orm', 'a MikroORM instance', 'checkConnection'], run, options);
}
