import type { Type } from '@nestjs/common';

/** Metadata key under which probe decorators record their registrations on a method. */
export const PROBE_METADATA = 'nestjs-heartbeat:probes';
/** Metadata key under which a class prototype lists the names of its decorated probe methods. */
export const PROBE_METHODS_METADATA = 'nestjs-heartbeat:probe-methods';
/** Injection token of the resolved, validated module options. */
export const HEARTBEAT_RESOLVED_OPTIONS = Symbol('HEARTBEAT_RESOLVED_OPTIONS');
/** Injection token of the route prefix, without leading or trailing slashes (known once the options are resolved). */
export const HEARTBEAT_ROUTE_PATH = Symbol('HEARTBEAT_ROUTE_PATH');
/** Injection token of what the management port serves at `/metrics` (the module binds the metrics observer to it). */
export const HEARTBEAT_METRICS_EXPOSITION = Symbol('HEARTBEAT_METRICS_EXPOSITION');
/** Injection token of what serves the status page, history and events (the module binds the status observer to it). */
export const HEARTBEAT_STATUS_PAGES = Symbol('HEARTBEAT_STATUS_PAGES');
/** Injection token of what the module's declaration fixed about its routes. */
export const HEARTBEAT_ROUTE = Symbol('HEARTBEAT_ROUTE');

/** What the module's declaration fixed about its routes, for the options resolved once the factory has run. */
export interface HeartbeatRouteDeclaration {
  /** The prefix given beside the options (`forRoot({ path })`, `forRootAsync({ path })`). */
  readonly path: string;
  /** Whether `routeDecorators` were given (environ on the app port is then assumed guarded). */
  readonly decorated: boolean;
  /** The controller made for this declaration; its prefix is set again when the factory supplies a `path`. */
  readonly controller: Type<unknown>;
}

/** The longest delay a Node timer can hold: beyond 2^31-1 ms, `setTimeout` fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The seed's route prefix. */
export const DEFAULT_PATH = '.well-known/heartbeat';
/** The seed answers 500 for a failing probe; 503 is the usual alternative. */
export const DEFAULT_FAILURE_STATUS_CODE = 500;
/**
 * Checks run in parallel, so a probe takes about as long as its slowest check. 800 ms leaves
 * 200 ms of the kubelet's default 1 s `timeoutSeconds` for the network and the response.
 */
export const DEFAULT_TIMEOUT_MS = 800;
/** A check whose data serialises to more than this many bytes is reported as failing. */
export const MAX_CHECK_DATA_BYTES = 2048;
/**
 * The most bytes a probe's body (readiness, liveness, startup; every format) may have: the kubelet
 * reads 10 KiB. A larger body leaves the checks' data out, then checks, passing ones first.
 */
export const MAX_BODY_BYTES = 10 * 1024;
/** Bytes of the cap the responder leaves free: the worker thread adds its `mainThread` verdict (under 300 bytes) to a body. */
export const BODY_HEADROOM_BYTES = 512;
/**
 * About one readiness period of the sample manifests (5 s): long enough for the endpoints to drop
 * the pod, well inside the default `terminationGracePeriodSeconds` of 30 s.
 */
export const DEFAULT_SHUTDOWN_DELAY_MS = 5000;
/**
 * A call that has not settled this long is abandoned and the handler is called again. One kubelet
 * period (10 s): a lost promise in a driver heals within about two probes, while a handler that
 * truly hangs is called at most six times a minute, so abandoned calls cannot pile up.
 */
export const DEFAULT_ABANDON_AFTER_MS = 10_000;
/** Check names longer than this are cut (a name from a result tuple is user input of any size). */
export const MAX_NAME_LENGTH = 200;
/**
 * A registered check's name is at most this long: Fastify's default `maxParamLength`, so that the
 * check's one-check route (`readiness/<name>`) answers on every adapter (a longer one is 414 there).
 */
export const MAX_CHECK_NAME_LENGTH = 100;
/**
 * With `thread: true`, how long the main loop may make no progress before liveness fails. The
 * kubelet restarts after `failureThreshold` (3) failures `periodSeconds` (10 s) apart, so a stuck
 * loop is restarted 30-40 s after it stopped, as a dead process whose probes time out is today,
 * while a stall under 10 s (a long GC, a synchronous step) never counts even as one failure.
 */
export const DEFAULT_MAX_STALL_MS = 10_000;
/**
 * With `thread: true`, how late the main loop may run before readiness fails: a quarter of the
 * kubelet's default `timeoutSeconds`. A late turn is only part of a request's wait (it also queues
 * behind the requests served before it): in the saturation bench the loop's lag climbed past 250 ms
 * within a few seconds of the load while the route took over 1 s to answer, and at 500 readiness
 * failed on only a third of the probes during the load. A loop that keeps up stays far below.
 */
export const DEFAULT_MAX_LAG_MS = 250;
/** With `thread: true`, checks run in the background; this is their interval unless `intervalMs` says otherwise. */
export const DEFAULT_THREAD_INTERVAL_MS = 5_000;
