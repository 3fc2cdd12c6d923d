import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { MONGOOSE_NO_DATABASE, MONGOOSE_NOT_CONNECTED } from '../heartbeat.messages.js';
import { rule } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';

/** A Mongoose `Connection`, as the check uses it. */
export interface MongooseConnection {
  readonly readyState: number;
  readonly db?: { command(command: Record<string, unknown>): PromiseLike<unknown> } | null;
}

/** Options of `mongooseCheck`. */
export interface MongooseCheckOptions extends ClientCheckOptions {
  /** The app's own connection (`@InjectConnection()`, or `mongoose.connection`). */
  connection: MongooseConnection;
}

/** Mongoose's `readyState` values other than connected (1). */
const STATES: Readonly<Record<number, string>> = {
  0: 'disconnected',
  2: 'connecting',
  3: 'disconnecting',
  99: 'uninitialized',
};

const CONNECTION = rule<MongooseConnection>(
  'a Mongoose Connection (an object with a readyState)',
  (value) => typeof value === 'object' && value !== null && 'readyState' in value,
);

/** Pings MongoDB through the app's Mongoose connection when it is connected. Default name `mongodb`. */
export function mongooseCheck(options: MongooseCheckOptions): HeartbeatCheck {
  return clientCheck(
    {
      owner: 'mongooseCheck()',
      instance: ['connection', CONNECTION],
      name: 'mongodb',
      probe: (connection) => async () => {
        const state = connection.readyState;
        if (state !== 1) throw new ClientDown(MONGOOSE_NOT_CONNECTED(STATES[state] ?? `in state ${String(state)}`));
        const db = connection.db;
        if (!db) throw new ClientDown(MONGOOSE_NO_DATABASE);
        await db.command({ ping: 1 });
      },
    },
    options,
  );
}
