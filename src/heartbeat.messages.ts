import { MAX_TIMER_MS, PROBE_NAMES } from './heartbeat.constants.js';
import type { ProbeKind } from './interfaces/probe.interface.js';

export const UNKNOWN_PROBE_KIND = (kind: unknown) =>
  `Unknown probe kind ${JSON.stringify(String(kind))}: expected one of ${PROBE_NAMES.join(', ')}.`;
export const HANDLER_NOT_A_FUNCTION = (kind: ProbeKind) =>
  `ProbeRegistry.register('${kind}', handler): handler must be a function.`;
export const INVALID_NUMBER_OPTION = (owner: string, option: string, value: unknown) =>
  `${owner}: option "${option}" must be a number of milliseconds from 0 to ${MAX_TIMER_MS} (got ${String(value)}).`;
export const INVALID_OPTION = (option: string, expected: string, value: unknown) =>
  `HeartbeatModule: option "${option}" must be ${expected} (got ${String(value)}).`;
export const UNKNOWN_OPTION = (option: string, closest: string | null, known: string) =>
  `HeartbeatModule: unknown option "${option}"${closest ? ` (did you mean "${closest}"?)` : ''}; known options: ${known}.`;
export const DECLARATION_ONLY_OPTION = (option: string) =>
  `HeartbeatModule: option "${option}" shapes the module's declaration: give it beside useFactory/useClass in forRootAsync({ ${option}, ... }), not from the factory.`;
export const ENVIRON_ON_PUBLIC_PORT = (path: string) =>
  `environ (/${path}/environ) lists every library and version on the app's public port. In production keep it private: ` +
  `routeDecorators with your auth guard, a management port (port, serveOn: 'both' keeps environ there), or environ: false.`;
export const ENVIRON_INVENTORY_EMPTY = (root: string, skipped: number) =>
  `environ lists no libraries: nothing is installed under environ.root (${root})` +
  (skipped > 0 ? ` that could be read (${skipped} skipped: see inventory.skipped in environ). ` : '. ') +
  `Set environ: { root: '<the folder of the app's package.json>' } if the app lives elsewhere.`;
export const REQUEST_SCOPED_PROBE = (source: string) =>
  `${source} is a probe handler on a request-scoped provider and is skipped: probes need a static (singleton) provider.`;

export const CHECK_THREW = (source: string, reason: string) => `${source} failed: ${reason}`;
export const CHECK_THREW_WITHHELD = (source: string, kind: string) =>
  `${source} failed: threw ${kind}; its text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')`;
export const CHECK_ABANDONED = (abandonAfterMs: number) =>
  `its previous call had not settled after ${abandonAfterMs} ms and was abandoned; this is a new call`;
export const CALL_ABORTED = (timeoutMs: number) => `the check timed out after ${timeoutMs} ms`;
export const CHECK_TIMED_OUT = (source: string, timeoutMs: number, runningForMs?: number, abandoned?: string) =>
  runningForMs !== undefined
    ? `${source} timed out after ${timeoutMs} ms (its previous call, started ${(runningForMs / 1000).toFixed(1)} s ago, has not settled)`
    : abandoned !== undefined
      ? `${source} timed out after ${timeoutMs} ms (${abandoned})`
      : `${source} timed out after ${timeoutMs} ms`;
export const CHECK_INVALID = (source: string, what: string) => `${source} returned an invalid result: ${what}`;
export const CHECK_DATA_TOO_LARGE = (source: string, bytes: number, limit: number) =>
  `${source} returned ${bytes} bytes of data, more than the ${limit}-byte limit`;

export const CHECK_NOW_FAILING = (kind: ProbeKind, name: string, message: string | undefined) =>
  `${kind} check "${name}" is failing${message ? `: ${message}` : ''}`;
export const CHECK_NOW_PASSING = (kind: ProbeKind, name: string) => `${kind} check "${name}" is passing again`;

export const SHUTTING_DOWN = 'the instance is shutting down';
export const OUT_OF_ROTATION = (reason: string) => `the instance was taken out of rotation: ${reason}`;
export const SHUTDOWN_DELAY = (ms: number) =>
  `SIGTERM received: readiness fails from now on; closing in ${ms} ms so that routing can catch up`;
export const MANAGEMENT_LISTEN_FAILED = (host: string, port: number, reason: string) =>
  `HeartbeatModule: the management server could not listen on ${host}:${port}: ${reason}`;
/** Logged when a transport could not produce a probe's answer (a bug in the module: the service does not throw). */
export const TRANSPORT_FAILED = (kind: ProbeKind, reason: string) =>
  `the ${kind} probe could not be answered: ${reason}`;
export const NO_SUCH_CHECK = (kind: ProbeKind, name: string) => `No ${kind} check named ${JSON.stringify(name)}`;
export const LISTENER_THREW = (reason: string) =>
  `A HeartbeatService.onChange listener threw (the change was still published): ${reason}`;
export const INVALID_THRESHOLD = (owner: string, option: string, value: unknown) =>
  `${owner}: option "${option}" must be a whole number from 1 to 1000 (got ${String(value)}).`;
export const INVALID_INTERVAL = (owner: string, value: unknown) =>
  `${owner}: option "intervalMs" must be 0 (run on each probe) or from 100 to ${MAX_TIMER_MS} milliseconds (got ${String(value)}).`;
export const NO_RESULT_YET = (intervalMs: number) =>
  `no result yet: the check runs in the background every ${intervalMs} ms and its first run has not finished`;
export const CHECK_STALE = (source: string, ageMs: number, intervalMs: number) =>
  `${source}: its last result is ${(ageMs / 1000).toFixed(1)} s old although it runs every ${intervalMs} ms: the loop that runs it is stuck`;
export const STILL_FAILING = (passes: number, threshold: number) =>
  `still failing: the check passed ${passes} time(s) in a row of the ${threshold} it needs to count as passing again`;
export const METRICS_PACKAGE_MISSING = (option: string, name: string, reason: string) =>
  `HeartbeatModule: metrics.${option} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (${reason})`;
export const INVALID_METRICS_PREFIX = (value: unknown) =>
  `HeartbeatModule: option "metrics.prefix" must be a name of letters, digits and underscores, not starting with a digit (got ${String(value)}).`;
export const METRICS_FAILED = (reason: string) => `GET /metrics on the management port failed: ${reason}`;
export const METRICS_NOT_REGISTERED = (reason: string) =>
  `HeartbeatModule: the Prometheus metrics could not be registered (${reason}). Another app in this process may have registered them on the same registry: give each its own Registry (metrics.prometheus) or prefix (metrics.prefix).`;
export const NO_RESULT_STALE = (source: string, ageMs: number, intervalMs: number) =>
  `${source}: no result ${(ageMs / 1000).toFixed(1)} s after its first run started, although it runs every ${intervalMs} ms: the loop that runs it is stuck`;
export const INVALID_STALE_AFTER = (owner: string, value: unknown) =>
  `${owner}: option "staleAfterMs" must be above 0 (a result is stale after that many milliseconds; got ${String(value)}).`;
export const CALL_ABORTED_AT_SHUTDOWN = 'the app is shutting down';
export const INDICATOR_TEXT_WITHHELD = (source: string, kind: string) =>
  `${source} failed: threw ${kind}; the indicator's text is withheld from probe bodies (see the Heartbeat log, or set details: 'always')`;
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
export const GRPC_PACKAGE_MISSING = (option: string, name: string, reason: string) =>
  `HeartbeatModule: ${option} needs the package "${name}", which could not be loaded. Install it: npm install ${name} (${reason})`;
export const GRPC_LISTEN_FAILED = (address: string, reason: string) =>
  `HeartbeatModule: the gRPC health server could not listen on ${address}: ${reason}`;
export const GRPC_NOT_ENABLED =
  'HeartbeatGrpcHealth.addToServer(server): the gRPC health service is off. Set the option grpc: true (or grpcPort) so that grpc-health-check is loaded at bootstrap.';
export const GRPC_NOT_READY =
  'HeartbeatGrpcHealth.addToServer(server): the module has not been initialised yet. In a hybrid app, await app.init() before app.startAllMicroservices().';
export const GRPC_SAME_PORT = (port: number) =>
  `HeartbeatModule: options "port" and "grpcPort" are both ${port}; the management port and the gRPC port need a port each.`;
