import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { withMethods } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';
import { sqlText } from './typeorm.check.js';

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
  return clientCheck(
    {
      owner: 'prismaCheck()',
      instance: [
        'client',
        withMethods<PrismaQueryable>('a PrismaClient (an object with a $queryRaw method)', ['$queryRaw']),
      ],
      name: 'prisma',
      probe: (client) => async () => {
        await client.$queryRaw`SELECT 1`;
      },
    },
    options,
  );
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
  return clientCheck(
    {
      owner: 'drizzleCheck()',
      instance: [
        'db',
        withMethods<DrizzleExecutable>('a Drizzle database (an object with an execute method)', ['execute']),
      ],
      known: ['query'],
      name: 'drizzle',
      probe: (db, given) => {
        const query = sqlText('drizzleCheck()', given.query);
        return async () => {
          await db.execute(query);
        };
      },
    },
    options,
  );
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
  return clientCheck(
    {
      owner: 'mikroOrmCheck()',
      instance: ['orm', withMethods<MikroOrmConnectable>('a MikroORM instance', ['checkConnection'])],
      name: 'mikro-orm',
      probe: (orm) => async () => {
        const answer = await orm.checkConnection();
        if (answer?.ok !== true)
          throw new ClientDown(String((answer as { reason?: unknown } | undefined)?.reason ?? 'not connected'));
      },
    },
    options,
  );
}
