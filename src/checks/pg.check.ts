import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { withMethods } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions } from './client-check.js';

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
  return clientCheck(
    {
      owner: 'pgCheck()',
      instance: ['pool', withMethods<PgQueryable>('a pg Pool or Client (an object with a query method)', ['query'])],
      name: 'postgres',
      probe: (pool) => async () => {
        await pool.query('SELECT 1');
      },
    },
    options,
  );
}
