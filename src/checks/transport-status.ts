/*
 * What a Nest microservice transport's status means for a probe. Every transport's status enum
 * (KafkaStatus, RmqStatus, RedisStatus, NatsStatus, MqttStatus, TcpStatus) uses the same words, so
 * one table reads them all; gRPC has no status stream, so its channel states are mapped here too.
 */

/** How a status counts: up, down, or degraded (for a while, or as long as it lasts). */
export type StatusVerdict = 'pass' | 'fail' | 'degraded-bounded' | 'degraded';

const VERDICTS: Readonly<Record<string, StatusVerdict>> = {
  connected: 'pass',
  // RMQ: the broker lifted its flow control; the connection is usable again.
  unblocked: 'pass',
  // RMQ: the broker stopped reading from us (memory or disk alarm): up, but publishes wait.
  blocked: 'degraded',
  // Redis, NATS, MQTT: the client is trying again; Kafka: the consumer group is rebalancing.
  reconnecting: 'degraded-bounded',
  rebalancing: 'degraded-bounded',
  disconnected: 'fail',
  crashed: 'fail',
  stopped: 'fail',
  closed: 'fail',
};

/** The verdict of a transport's status word; an unknown word fails. */
export function statusVerdict(status: string): StatusVerdict {
  return Object.hasOwn(VERDICTS, status) ? VERDICTS[status] : 'fail';
}

/** gRPC channel connectivity (`@grpc/grpc-js` `connectivityState`), by number. */
const GRPC_STATES: readonly (readonly [name: string, verdict: StatusVerdict])[] = [
  ['idle', 'pass'],
  ['connecting', 'degraded-bounded'],
  ['ready', 'pass'],
  ['transient_failure', 'fail'],
  ['shutdown', 'fail'],
];

/** The name and verdict of a gRPC channel state. */
export function grpcChannelState(state: unknown): readonly [name: string, verdict: StatusVerdict] {
  return typeof state === 'number' && GRPC_STATES[state] ? GRPC_STATES[state] : ['unknown', 'fail'];
}

/** `ServerRedis`, `ClientRMQ`, `ClientGrpcProxy` → `redis`, `rmq`, `grpc`: the transport a check reports. */
export function transportKind(instance: object): string {
  let name: string;
  try {
    name = String((instance.constructor as { name?: unknown } | undefined)?.name ?? '');
  } catch {
    name = '';
  }
  // Nest's own classes (and subclasses named the same way); anything else is just a microservice.
  const match = /^(?:Server|Client)([A-Za-z]{2,20}?)(?:Proxy)?$/.exec(name);
  return match ? match[1].toLowerCase() : 'microservice';
}
