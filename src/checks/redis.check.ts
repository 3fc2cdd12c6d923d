import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { REDIS_NOT_READY, REDIS_NOT_READY_STATUS } from '../heartbeat.messages.js';
import { rule } from '../options/option-rules.js';
import { type ClientProbe, clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';

/** An ioredis `Redis` or `Cluster` (`status`), or a node-redis client (`isReady`), as the check uses it. */
export interface RedisPingable {
  ping(): PromiseLike<unknown>;
  readonly status?: string;
  readonly isReady?: boolean;
}

/** Options of `redisCheck`. */
export interface RedisCheckOptions extends ClientCheckOptions {
  /** The app's own client: ioredis (standalone or cluster) or node-redis (`createClient()`, connected). */
  client: RedisPingable;
}

const CLIENT = rule<RedisPingable>(
  'an ioredis or node-redis client (an object with a ping method)',
  (value) => typeof value === 'object' && value !== null && typeof (value as RedisPingable).ping === 'function',
);

/**
 * Pings Redis on the app's own client once it says it is ready; a client that is not (connecting,
 * reconnecting, closed) fails with its state, without queueing a command. Default name `redis`.
 */
export function redisCheck(options: RedisCheckOptions): HeartbeatCheck {
  return clientCheck(
    { owner: 'redisCheck()', instance: ['client', CLIENT], name: 'redis', probe: (client) => redisProbe(client) },
    options,
  );
}

/** The probe of a Redis client: its own state first, then `PING`. */
export function redisProbe(client: RedisPingable): ClientProbe {
  return async () => {
    notReadyReason(client);
    await client.ping();
  };
}

/** Throws `ClientDown` naming the client's state when it is not ready for a command. */
function notReadyReason(client: RedisPingable): void {
  const isReady = client.isReady;
  if (typeof isReady === 'boolean') {
    if (!isReady) throw new ClientDown(REDIS_NOT_READY);
    return;
  }
  const status = client.status;
  if (typeof status === 'string' && status !== 'ready') throw new ClientDown(REDIS_NOT_READY_STATUS(status));
}
