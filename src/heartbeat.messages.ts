import { PROBE_NAMES } from './probe/probe-kinds.js';
import { MAX_CHECK_NAME_LENGTH, MAX_TIMER_MS } from './heartbeat.constants.js';
import type { ProbeKind } from './interfaces/probe.interface.js';
import { maskUrlCredentials } from './util/redact.js';

/** The longest piece of a rejected string (or an unknown key) an error quotes: a megabyte value makes a short message. */
const QUOTED_LENGTH = 80;

/** Quotes a string an error shows, on one line (JSON escapes), URL passwords masked, cut to `QUOTED_LENGTH`. */
function quote(text: string): string {
  const masked = maskUrlCredentials(text.length > 4 * QUOTED_LENGTH ? text.slice(0, 4 * QUOTED_LENGTH) : text);
  return JSON.stringify(masked.length > QUOTED_LENGTH ? `${masked.slice(0, QUOTED_LENGTH)}…` : masked);
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const listOrNone = (names: readonly string[]) => (names.length ? names.join(', ') : 'none');

/**
 * Names a rejected value without trusting it: strings quoted (cut, URL passwords masked), numbers
 * and the like as written, anything else by its kind only. Never throws, whatever the value (a
 * revoked Proxy, an object whose `toString` throws).
 */
export function describeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
    case 'boolean':
    case 'undefined':
      return String(value);
    case 'bigint':
      return `${value}n`;
    case 'symbol':
      return 'a symbol';
    case 'function':
      return 'a function';
  }
  if (value === null) return 'null';
  try {
    return Array.isArray(value) ? 'an array' : 'an object';
  } catch {
    return 'a revoked Proxy';
  }
}

export const UNKNOWN_PROBE_KIND = (kind: unknown) =>
  `ProbeRegistry.register(kind, …): Unknown probe kind ${describeValue(kind)}: expected one of ${PROBE_NAMES.join(', ')}.`;
export const HANDLER_NOT_A_FUNCTION = (kind: ProbeKind, value: unknown) =>
  `ProbeRegistry.register('${kind}', handler): handler must be a function or a check such as httpCheck() (got ${describeValue(value)}).`;
/** The error of an option whose value is not what its rule accepts; `owner` names who was given it. */
export const INVALID_OPTION_OF = (owner: string, option: string, expected: string, value: unknown) =>
  `${owner}: option "${option}" must be ${expected} (got ${describeValue(value)}).`;
export const INVALID_OPTION = (option: string, expected: string, value: unknown) =>
  INVALID_OPTION_OF('HeartbeatModule', option, expected, value);
/** The error of an option whose reading threw (a getter, a Proxy trap, a revoked Proxy). */
export const UNREADABLE_OPTION = (owner: string, option: string, reason: string) =>
  `${owner}: option "${option}" could not be read (${reason}).`;
export const UNKNOWN_OPTION = (option: string, closest: string | null, known: string, owner = 'HeartbeatModule') =>
  `${owner}: unknown option ${quote(option)}${closest ? ` (did you mean "${closest}"?)` : ''}; known options: ${known}.`;
export const DECLARATION_ONLY_OPTION = (option: string) =>
  `HeartbeatModule: option "${option}" shapes the module's declaration: give it beside useFactory/useClass in forRootAsync({ ${option}, ... }), not from the factory.`;
/** Logged once at bootstrap when environ is kept off the app's port (production, no opt-in). */
export const ENVIRON_KEPT_PRIVATE = (path: string, production: boolean) =>
  `environ (/${path}/environ) is not served on the app's port: it lists every library and version, so ` +
  `${production ? 'with NODE_ENV=production' : 'with environ.public: false'} it answers 404 there. To serve it, set environ: { public: true }, guard the routes with routeDecorators, ` +
  `or serve the probes on a management port (port), which always serves it.`;
export const FACTORY_RESULT = (value: unknown) =>
  `HeartbeatModule: the forRootAsync factory (useFactory, or createHeartbeatOptions() of useClass/useExisting) must return an object of options (got ${describeValue(value)}).`;
export const FACTORY_ONLY_OPTION = (option: string) =>
  `HeartbeatModule.forRootAsync(): option "${option}" is a module option: return it from the factory (useFactory, or createHeartbeatOptions() of useClass/useExisting), not beside it.`;
export const NO_OPTIONS_FACTORY = (given: string) =>
  `HeartbeatModule.forRootAsync(): exactly one of useFactory, useClass or useExisting must be given (got ${given}).`;
/** Who is named in the error of a `ProbeRegistry.register` call's option. */
export const REGISTER_OWNER = (kind: ProbeKind) => `ProbeRegistry.register('${kind}', …)`;
const DECORATORS: Record<ProbeKind, string> = {
  readiness: 'ReadinessProbe',
  liveliness: 'LivelinessProbe',
  startup: 'StartupProbe',
  environ: 'EnvironProbe',
};
/** Who is named in the error of a decorator's option: `@ReadinessProbe() on Class.method`. */
export const DECORATOR_OWNER = (kind: ProbeKind, source: string) => `@${DECORATORS[kind]}() on ${source}`;
/** What valid values of the options shared by several owners are, as their errors say it. */
export const EXPECTED = {
  boolean: 'true or false',
  options: 'an object of options',
  name: `a non-empty string of at most ${MAX_CHECK_NAME_LENGTH} characters`,
  duration: `a number of milliseconds from 0 to ${MAX_TIMER_MS}`,
  timeout: `a number of milliseconds from 1 to ${MAX_TIMER_MS}`,
  interval: `0 (run on each probe) or from 100 to ${MAX_TIMER_MS} milliseconds`,
  staleAfter: `a number of milliseconds above 0 and at most ${MAX_TIMER_MS} (a result is stale after that long)`,
  port: 'an integer from 0 to 65535',
  wholeNumber: (from: number, to: number) => `a whole number from ${from} to ${to}`,
  host: 'a host name or IP address (a non-empty string of at most 253 characters, without spaces)',
  logger: 'false or a logger (an object with log, error and warn methods)',
  routePrefix:
    "a route prefix of at most 1024 characters: segments of letters, digits and -._~ separated by '/' (no '.' or '..' segment, no ':', '*' or '?')",
} as const;
export const ENVIRON_INVENTORY_EMPTY = (root: string, skipped: number) =>
  `environ lists no libraries: nothing is installed under environ.root (${root})` +
  (skipped > 0 ? ` that could be read (${skipped} skipped: see inventory.skipped in environ). ` : '. ') +
  `Set environ: { root: '<the folder of the app's package.json>' } if the app lives elsewhere.`;
export const REQUEST_SCOPED_PROBE = (source: string) =>
  `${source} is a probe handler on a request-scoped provider and is skipped: probes need a static (singleton) provider.`;

export const CHECK_THREW = (source: string, reason: string) => `${source} failed: ${reason}`;
const WITHHELD = (source: string, kind: string, text: string) =>
  `${source} failed: threw ${kind}; ${text} is withheld from probe bodies (see the Heartbeat log, or set details: 'always')`;
export const CHECK_THREW_WITHHELD = (source: string, kind: string) => WITHHELD(source, kind, 'its text');
export const CHECK_ABANDONED = (abandonAfterMs: number) =>
  `its previous call had not settled after ${abandonAfterMs} ms and was abandoned; this is a new call`;
export const CALL_ABORTED = (timeoutMs: number) => `the check timed out after ${timeoutMs} ms`;
export const CHECK_TIMED_OUT = (source: string, timeoutMs: number, runningForMs?: number, abandoned?: string) =>
  `${source} timed out after ${timeoutMs} ms` +
  (runningForMs !== undefined
    ? ` (its previous call, started ${seconds(runningForMs)} s ago, has not settled)`
    : abandoned !== undefined
      ? ` (${abandoned})`
      : '');
export const CHECK_INVALID = (source: string, what: string) => `${source} returned an invalid result: ${what}`;
export const CHECK_DATA_TOO_LARGE = (source: string, bytes: number, limit: number) =>
  `${source} returned ${bytes} bytes of data, more than the ${limit}-byte limit`;
export const BODY_TRUNCATED = (limit: number, omitted: number, total: number) =>
  `the body is capped at ${limit} bytes: the checks' data is left out` +
  (omitted > 0 ? `, and ${omitted} of ${total} checks (failing ones are kept first)` : '') +
  '; GET <probe>/<name> answers one check in full';

export const CHECK_NOW_FAILING = (kind: ProbeKind, name: string, message: string | undefined) =>
  `${kind} check "${name}" is failing${message ? `: ${message}` : ''}`;
export const CHECK_NOW_PASSING = (kind: ProbeKind, name: string) => `${kind} check "${name}" is passing again`;

export const SHUTTING_DOWN = 'the instance is shutting down';
export const OUT_OF_ROTATION = (reason: string) => `the instance was taken out of rotation: ${reason}`;
export const SHUTDOWN_DELAY = (ms: number) =>
  `SIGTERM received: readiness fails from now on; closing in ${ms} ms so that routing can catch up`;
export const MANAGEMENT_LISTEN_FAILED = (host: string, port: number, reason: string) =>
  `HeartbeatModule: the management server could not listen on ${host}:${port}: ${reason}`;
/** Logged once the management port listens: where the probes are, and whether the app's port serves them too. */
export const MANAGEMENT_LISTENING = (address: string, path: string, onlyHere: boolean) =>
  `Probes served on the management port at http://${address}/${path ? `${path}/` : ''}` +
  (onlyHere
    ? ` only: the app's own port does not serve them (serveOn: 'both' serves them there too)`
    : ` and on the app's own port (serveOn: 'both'; environ on the management port only)`);
/** Logged once the gRPC health server listens. */
export const GRPC_LISTENING = (address: string) =>
  `gRPC health service (grpc.health.v1.Health) listening on ${address}`;
/** Logged when a transport could not produce a probe's answer (a bug in the module: the service does not throw). */
export const TRANSPORT_FAILED = (kind: ProbeKind, reason: string) =>
  `the ${kind} probe could not be answered: ${reason}`;
export const NO_SUCH_CHECK = (kind: ProbeKind, name: string) => `No ${kind} check named ${JSON.stringify(name)}`;
export const LISTENER_THREW = (reason: string) =>
  `A HeartbeatService.onChange listener threw (the change was still published): ${reason}`;
export const NO_RESULT_YET = (intervalMs: number) =>
  `no result yet: the check runs in the background every ${intervalMs} ms and its first run has not finished`;
export const CHECK_STALE = (source: string, ageMs: number, intervalMs: number) =>
  `${source}: its last result is ${seconds(ageMs)} s old although it runs every ${intervalMs} ms: the loop that runs it is stuck`;
export const STILL_FAILING = (passes: number, threshold: number) =>
  `still failing: the check passed ${passes} time(s) in a row of the ${threshold} it needs to count as passing again`;
const PACKAGE_MISSING = (option: string, name: string, reason: string) =>
  `HeartbeatModule: ${option} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (${reason})`;
export const METRICS_PACKAGE_MISSING = (option: string, name: string, reason: string) =>
  PACKAGE_MISSING(`metrics.${option}`, name, reason);
export const METRICS_FAILED = (reason: string) => `GET /metrics on the management port failed: ${reason}`;
export const METRICS_NOT_REGISTERED = (reason: string) =>
  `HeartbeatModule: the Prometheus metrics could not be registered (${reason}). Another app in this process may have registered them on the same registry: give each its own Registry (metrics.prometheus) or prefix (metrics.prefix).`;
export const NO_RESULT_STALE = (source: string, ageMs: number, intervalMs: number) =>
  `${source}: no result ${seconds(ageMs)} s after its first run started, although it runs every ${intervalMs} ms: the loop that runs it is stuck`;
/** What ends a background check's call that has not settled: its timeout, else its abandoning, else nothing. */
const PENDING_END = (timeoutMs: number, abandonAfterMs: number) =>
  timeoutMs > 0
    ? `it times out after ${timeoutMs} ms`
    : abandonAfterMs > 0
      ? `no timeout: it is abandoned and called again after ${abandonAfterMs} ms`
      : 'timeoutMs and abandonAfterMs are 0: it is waited for until it settles';
/** A background check's last result (`ageMs: null`: none yet) went stale because its own call has not settled. */
export const CALL_NOT_SETTLED = (
  source: string,
  ageMs: number | null,
  intervalMs: number,
  callMs: number,
  timeoutMs: number,
  abandonAfterMs: number,
) =>
  `${source}: ${ageMs === null ? 'no result yet' : `its last result is ${seconds(ageMs)} s old`} although it runs every ${intervalMs} ms: its call started ${seconds(callMs)} s ago has not settled (${PENDING_END(timeoutMs, abandonAfterMs)})`;
export const CALL_ABORTED_AT_SHUTDOWN = 'the app is shutting down';
export const INDICATOR_TEXT_WITHHELD = (source: string, kind: string) => WITHHELD(source, kind, "the indicator's text");
export const MAIN_LOOP_STALLED = (stalledMs: number, maxStallMs: number) =>
  `the app's main event loop has made no progress for ${stalledMs} ms (maxStallMs ${maxStallMs}): it is stuck`;
export const MAIN_LOOP_LAGGING = (lagMs: number, maxLagMs: number) =>
  `the app's main event loop runs ${lagMs} ms late (maxLagMs ${maxLagMs}): it cannot serve traffic in time now`;
export const THREAD_UNAVAILABLE = (reason: string) =>
  `HeartbeatModule: option "thread" needs worker threads (node:worker_threads and SharedArrayBuffer), which are not available here (${reason}). Remove "thread" to serve the management port from the main thread.`;
export const THREAD_FAILED = (reason: string) =>
  `the management port's worker thread failed: ${reason}; the port no longer answers, so the kubelet's probes fail`;
export const THREAD_ENTRY_UNKNOWN =
  'the worker file of the management port could not be located (no __dirname: nestjs-heartbeat is not running from one of its builds in dist/)';
export const FORWARD_TIMED_OUT = 'the app did not answer this request in time (its main event loop is busy or stuck)';
export const THREAD_START_FAILED = (reason: string) =>
  `HeartbeatModule: the management port's worker thread could not start: ${reason}`;
export const GRPC_PACKAGE_MISSING = PACKAGE_MISSING;
export const GRPC_LISTEN_FAILED = (address: string, reason: string) =>
  `HeartbeatModule: the gRPC health server could not listen on ${address}: ${reason}`;
export const GRPC_NOT_ENABLED =
  'HeartbeatGrpcHealth.addToServer(server): the gRPC health service is off. Set the option grpc: true (or grpcPort) so that grpc-health-check is loaded at bootstrap.';
export const GRPC_NOT_READY =
  'HeartbeatGrpcHealth.addToServer(server): the module has not been initialised yet. In a hybrid app, await app.init() before app.startAllMicroservices().';
export const GRPC_UNKNOWN_SERVICE = (service: string, served: readonly string[]) =>
  `unknown service "${service}"; this server's health service serves ${served.map((name) => `"${name}"`).join(', ')}`;
export const GRPC_SERVICE_NAME_TOO_LONG = (length: number, max: number) =>
  `a service name of ${length} characters is not served (a service name has at most ${max})`;
export const GRPC_SAME_PORT = (port: number) =>
  `HeartbeatModule: options "port" and "grpcPort" are both ${port}; the management port and the gRPC port need a port each.`;

/** A JSON error body, shaped like Nest's. */
const errorBody = (statusCode: number, message: string) => JSON.stringify({ statusCode, message });
/** Body of the 503 answered to an event stream over `statusPage.maxSubscribers`. */
export const STATUS_STREAMS_FULL = (max: number) =>
  errorBody(503, `Service Unavailable: ${max} event streams are open already`);
/** Body of the 503 answered to an event stream once the instance is shutting down. */
export const STATUS_SHUTTING_DOWN = errorBody(503, 'Service Unavailable: the instance is shutting down');
/** Body of the 405 answered to a method other than GET and HEAD on the status page's routes. */
export const STATUS_METHOD_NOT_ALLOWED = errorBody(405, 'Method Not Allowed: the status page answers GET and HEAD');
// The testing entry (nestjs-heartbeat/testing): assertion and helper errors, asserted word for word in its tests.
/** One check as a testing error lists it: `db failed: connection refused`, `db passed`. */
export const TESTING_CHECK_LINE = (name: string, status: boolean, message: string | undefined) =>
  `${name} ${status ? 'passed' : 'failed'}${message === undefined ? '' : `: ${message}`}`;
export const TESTING_EXPECTED_PROBE = (probe: string, want: 'pass' | 'fail', statusCode: number, checks: string) =>
  `expected ${probe} to ${want}, but it answered ${statusCode}${checks === '' ? '' : ` (${checks})`}`;
export const TESTING_EXPECTED_CHECK = (probe: string, check: string, want: 'pass' | 'fail', line: string) =>
  `expected ${probe} check "${check}" to ${want}, but ${line}`;
export const TESTING_EXPECTED_MESSAGE = (probe: string, check: string, want: string, got: string | undefined) =>
  `expected ${probe} check "${check}" to fail with ${want}, but it failed with ${got === undefined ? 'no message' : JSON.stringify(got)}`;
export const TESTING_NO_CHECK = (probe: string, check: string, names: readonly string[]) =>
  `${probe} has no check "${check}" (its checks: ${listOrNone(names)})`;
export const TESTING_UNKNOWN_CHECK = (check: string, names: readonly string[]) =>
  `fakeCheck: no check is named "${check}"; the registered checks are: ${listOrNone(names)}`;
export const TESTING_UNKNOWN_PROBE = (probe: unknown) =>
  `${describeValue(probe)} is not a probe; the probes are: ${PROBE_NAMES.join(', ')}`;
export const TESTING_NO_MODULE = (what: string) =>
  `${what}: the app has no HeartbeatModule (import HeartbeatModule.forRoot() in the testing module, and await app.init() or compile() first)`;
export const TESTING_UNTIL_TIMED_OUT = (probe: string, want: 'pass' | 'fail', timeoutMs: number, last: string) =>
  `untilProbe: ${probe} did not ${want} within ${timeoutMs} ms; it last answered ${last}`;
export const TESTING_UNTIL_CLOSED = (probe: string, want: 'pass' | 'fail') =>
  `untilProbe: the app closed before ${probe} could ${want}`;
export const TESTING_BAD_TIMEOUT = (value: unknown) =>
  `untilProbe: option "timeoutMs" must be a positive number of milliseconds; got ${describeValue(value)}`;

// The checks of the app's own clients (src/checks/): why a client is down, as its check's message says it.
export const CLIENT_NO_ANSWER = (timeoutMs: number) => `no answer within ${timeoutMs} ms`;
export const CLIENT_ABORTED = (reason: string) => `aborted: ${reason}`;
export const TYPEORM_NOT_INITIALIZED = 'the DataSource is not initialized (or was destroyed)';
export const MIKRO_ORM_NOT_CONNECTED = 'not connected';
export const MONGOOSE_NOT_CONNECTED = (state: string) => `the connection is ${state}`;
export const MONGOOSE_NO_DATABASE = 'the connection has no database yet';
export const REDIS_NOT_READY = 'the client is not ready (node-redis isReady is false)';
export const REDIS_NOT_READY_STATUS = (status: string) => `the client is ${status}, not ready`;
export const BULLMQ_WORKER_NOT_RUNNING = 'the worker is not running';
export const BULLMQ_NO_CLIENT = 'the queue has no Redis client';
