import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { optional, textRule, withMethods } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';

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
  return clientCheck(
    {
      owner: 'typeOrmCheck()',
      instance: ['dataSource', withMethods<TypeOrmDataSource>('a TypeORM DataSource', ['query'])],
      known: ['query'],
      name: 'typeorm',
      probe: (dataSource, given) => {
        const query = sqlText('typeOrmCheck()', given.query);
        return async () => {
          if (dataSource.isInitialized !== true)
            throw new ClientDown('the DataSource is not initialized (or was destroyed)');
          await dataSource.query(query);
        };
      },
    },
    options,
  );
}

const SQL = textRule('a non-empty SQL string of at most 10000 characters', 10_000);

/** The `query` option of a SQL check, validated: default `SELECT 1`. */
export function sqlText(owner: string, value: unknown): string {
  return optional(owner, 'query', value, SQL) ?? 'SELECT 1';
}
