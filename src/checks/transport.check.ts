import type { HeartbeatCheck, HeartbeatCheckResult } from '../interfaces/heartbeat-check.interface.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, DURATION, FUNCTION, isObject, optional, required, rule } from '../options/option-rules.js';
import { oneLine, reasonOf } from '../util/text.js';
import { grpcChannelState, type StatusVerdict, statusVerdict, transportKind } from './transport-status.js';

/** What the check reads: a Nest 11+ server, `ClientProxy` or `INestMicroservice` (`status`), or a gRPC server or client. */
export type TransportLike = object;

/** Options of `transportCheck`. */
export interface TransportCheckOptions {
  /** Default `transport:<kind>` (`transport:redis`, `transport:rmq`…). */
  name?: string;
  /** How long reconnecting (or Kafka rebalancing, gRPC connecting) passes as degraded before it fails. Default 30000 ms. */
  degradedForMs?: number;
  /** The clock, in milliseconds (for tests). Default `Date.now`. */
  now?: () => number;
}

interface Subscribable {
  subscribe(next: (value: unknown) => void): { unsubscribe(): void };
}

const OWNER = 'transportCheck()';
const KNOWN: readonly (keyof TransportCheckOptions)[] = ['name', 'degradedForMs', 'now'];
const TRANSPORT = rule<object>('a Nest microservice server, ClientProxy or INestMicroservice', isObject);

/**
 * The state of the app's own microservice transport, read from its `status` stream (subscribed
 * once, here; no connection is opened): connected passes, reconnecting or rebalancing is degraded
 * for `degradedForMs` then fails, RMQ blocked is degraded, disconnected, crashed, stopped and
 * closed fail. gRPC, which has no status stream, is read from its server and channels.
 */
export function transportCheck(serverOrClient: TransportLike, options?: TransportCheckOptions): HeartbeatCheck {
  const transport = serverOf(required(OWNER, 'serverOrClient', serverOrClient, TRANSPORT));
  const shape = { owner: OWNER, label: 'options', prefix: '', known: KNOWN };
  const given = readOptions(options === undefined ? {} : options, shape);
  const kind = transportKind(transport);
  const name = optional(OWNER, 'name', given.name, CHECK_NAME) ?? `transport:${kind}`;
  const degradedForMs = optional(OWNER, 'degradedForMs', given.degradedForMs, DURATION) ?? 30_000;
  const now = (optional(OWNER, 'now', given.now, FUNCTION) as (() => number) | undefined) ?? Date.now;
  const judge = (state: string, verdict: StatusVerdict, since: number) =>
    resultOf(name, kind, state, verdict, now() - since, degradedForMs);

  const stream = statusStream(transport);
  if (!stream) {
    const read = grpcReader(transport, kind);
    let since = { state: '', at: now() };
    return {
      name,
      health: HEALTH,
      run: () => {
        let current: readonly [string, StatusVerdict];
        try {
          current = read();
        } catch (error) {
          return Promise.resolve(failed(kind, 'unknown', `could not be read: ${reasonOf(error)}`));
        }
        const [state, verdict] = current;
        if (state !== since.state) since = { state, at: now() };
        return Promise.resolve(judge(state, verdict, since.at));
      },
    };
  }
  let last: { state: string; at: number } | undefined;
  const subscription = subscribe(stream, (value) => {
    // The status words are short: anything else is not one (and never reaches a body whole).
    const state = typeof value === 'string' && /^[a-z_]{1,32}$/.test(value) ? value : 'unknown';
    if (state !== last?.state) last = { state, at: now() };
  });
  return {
    name,
    health: HEALTH,
    run: () => {
      if (!last) return Promise.resolve(failed(kind, 'none', 'has reported no status yet (not connected)'));
      return Promise.resolve(judge(last.state, statusVerdict(last.state), last.at));
    },
    dispose: () => subscription.unsubscribe(),
  };
}

const HEALTH = { componentType: 'component', observedKey: 'state', observedUnit: '' } as const;

function resultOf(
  name: string,
  kind: string,
  state: string,
  verdict: StatusVerdict,
  forMs: number,
  degradedForMs: number,
): HeartbeatCheckResult {
  if (verdict === 'pass') return { status: true, transport: kind, state };
  if (verdict === 'fail') return failed(kind, state, `is ${state}`);
  if (verdict === 'degraded-bounded' && forMs >= degradedForMs) {
    return failed(kind, state, `has been ${state} for ${Math.round(forMs)} ms (over ${degradedForMs} ms)`);
  }
  const message = oneLine(`${kind} transport is ${state} (for ${Math.round(forMs)} ms)`);
  return { [name]: { status: 'degraded', transport: kind, state, message } };
}

function failed(kind: string, state: string, what: string): HeartbeatCheckResult {
  return { status: false, transport: kind, state, message: oneLine(`${kind} transport ${what}`) };
}

/** The server of an `INestMicroservice` (its transport's kind, and gRPC's state, are read there), else `transport`. */
function serverOf(transport: object): object {
  try {
    const server = (transport as { serverInstance?: unknown }).serverInstance;
    return isObject(server) ? server : transport;
  } catch {
    return transport;
  }
}

/** The `status` observable, or `undefined` for gRPC (whose getter throws) or anything without one. */
function statusStream(transport: object): Subscribable | undefined {
  let stream: unknown;
  try {
    stream = (transport as { status?: unknown }).status;
  } catch {
    return undefined;
  }
  return isObject(stream) && typeof (stream as Subscribable).subscribe === 'function'
    ? (stream as Subscribable)
    : undefined;
}

function subscribe(stream: Subscribable, next: (value: unknown) => void): { unsubscribe(): void } {
  try {
    const subscription = stream.subscribe(next);
    if (typeof subscription?.unsubscribe === 'function') return subscription;
  } catch (error) {
    throw new TypeError(
      `${OWNER}: option "serverOrClient" has a status stream that could not be subscribed to (${oneLine(reasonOf(error))}).`,
      { cause: error },
    );
  }
  throw new TypeError(
    `${OWNER}: option "serverOrClient" has a status stream whose subscribe returned no subscription.`,
  );
}

interface GrpcChannelOwner {
  getChannel(): { getConnectivityState(connect: boolean): number };
}

/**
 * gRPC: a server is up while it holds its grpc-js server (`grpcClient`, set by `listen`, cleared by
 * `close`); a client by its service channels, the worst one counting (none yet: idle).
 */
function grpcReader(transport: object, kind: string): () => readonly [string, StatusVerdict] {
  const holder = transport as { grpcClient?: unknown; clients?: unknown };
  if (holder.clients instanceof Map) {
    const clients = holder.clients as Map<string, GrpcChannelOwner>;
    return () => {
      let worst: readonly [string, StatusVerdict] = ['idle', 'pass'];
      for (const client of clients.values()) {
        const state = grpcChannelState(client.getChannel().getConnectivityState(false));
        if (rank(state[1]) > rank(worst[1])) worst = state;
      }
      return worst;
    };
  }
  if ('grpcClient' in holder) return () => (holder.grpcClient ? ['listening', 'pass'] : ['closed', 'fail']);
  throw new TypeError(
    `${OWNER}: option "serverOrClient" must be ${TRANSPORT.expected} (got an object without a status stream, ${kind}).`,
  );
}

function rank(verdict: StatusVerdict): number {
  return ['pass', 'degraded', 'degraded-bounded', 'fail'].indexOf(verdict);
}

/** An app with microservices (`INestApplication` of a hybrid app), as `transportChecks` reads it. */
export interface MicroserviceHost {
  getMicroservices(): readonly object[];
}

/**
 * One `transportCheck` per microservice the app has connected (`app.connectMicroservice`), named
 * `transport:<kind>` (`#n` suffixes tell two of a kind apart). Call it once they are connected and
 * register each with `ProbeRegistry.register('readiness', check)`.
 */
export function transportChecks(
  app: MicroserviceHost,
  options?: Omit<TransportCheckOptions, 'name'>,
): HeartbeatCheck[] {
  const host = required(
    OWNER,
    'app',
    app,
    rule<MicroserviceHost>(
      'a Nest application (getMicroservices)',
      (value) => isObject(value) && typeof (value as MicroserviceHost).getMicroservices === 'function',
    ),
  );
  return host.getMicroservices().map((microservice) => transportCheck(microservice, options));
}
