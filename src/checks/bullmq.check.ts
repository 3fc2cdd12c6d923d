import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { BULLMQ_NO_CLIENT, BULLMQ_WORKER_NOT_RUNNING } from '../heartbeat.messages.js';
import { isObject, optional, rule } from '../options/option-rules.js';
import { clientCheck, type ClientCheckOptions, ClientDown } from './client-check.js';
import { type RedisPingable, redisProbe } from './redis.check.js';

/** A BullMQ `Queue` (5: `client`; 6: `getBackend().client`), as the check uses it. */
export interface BullMqQueue {
  readonly name: string;
  readonly client?: PromiseLike<object>;
  getBackend?(): { readonly client?: PromiseLike<object> };
}

/** A BullMQ `Worker`, as the check uses it. */
export interface BullMqWorker {
  isRunning(): boolean;
  isPaused(): boolean;
}

/** Options of `bullMqCheck`. */
export interface BullMqCheckOptions extends ClientCheckOptions {
  /** The app's queue (`@InjectQueue()`): its own Redis connection is pinged. */
  queue: BullMqQueue;
  /** Also fail while this worker is not running (closed, or not started with `autorun: false`). */
  worker?: BullMqWorker;
}

const QUEUE = rule<BullMqQueue>(
  'a BullMQ Queue',
  (value) => isObject(value) && ('client' in value || 'getBackend' in value),
);
const WORKER = rule<BullMqWorker>(
  'a BullMQ Worker (isRunning and isPaused methods)',
  (value) =>
    isObject(value) &&
    typeof (value as BullMqWorker).isRunning === 'function' &&
    typeof (value as BullMqWorker).isPaused === 'function',
);

/** Pings Redis on the queue's own connection and, given one, asks the worker whether it runs. Default name: the queue's. */
export function bullMqCheck(options: BullMqCheckOptions): HeartbeatCheck {
  return clientCheck(
    {
      owner: 'bullMqCheck()',
      instance: ['queue', QUEUE],
      known: ['worker'],
      name: (queue) => (typeof queue.name === 'string' && queue.name !== '' ? `bullmq:${queue.name}` : 'bullmq'),
      probe: (queue, given) => {
        const worker = optional('bullMqCheck()', 'worker', given.worker, WORKER);
        return async (signal) => {
          if (worker && !worker.isRunning()) throw new ClientDown(BULLMQ_WORKER_NOT_RUNNING);
          const client = await (queue.client ?? queue.getBackend?.().client);
          if (typeof (client as Partial<RedisPingable> | undefined)?.ping !== 'function') {
            throw new ClientDown(BULLMQ_NO_CLIENT);
          }
          await redisProbe(client as RedisPingable)(signal);
          return worker ? { workerPaused: worker.isPaused() } : undefined;
        };
      },
    },
    options,
  );
}
