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
/** Checks run in parallel: 800 ms leaves 200 ms of the kubelet's default 1 s `timeoutSeconds` for the network. */
export const DEFAULT_TIMEOUT_MS = 800;
/** A check whose data serialises to more than this many bytes is reported as failing. */
export const MAX_CHECK_DATA_BYTES = 2048;
/** The most bytes a probe's body may have in any format: the kubelet reads 10 KiB (`report/body-cap.ts`). */
export const MAX_BODY_BYTES = 10 * 1024;
/** Bytes of the cap a body leaves free: the worker thread adds its `mainThread` verdict (under 300 bytes). */
export const BODY_HEADROOM_BYTES = 512;
/** One readiness period of the sample manifests: the endpoints drop the pod well inside the 30 s grace period. */
export const DEFAULT_SHUTDOWN_DELAY_MS = 5000;
/**
 * One kubelet period: a promise a driver lost heals within about two probes, while a handler that
 * truly hangs is called again at most six times a minute, so abandoned calls cannot pile up.
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
 * With `thread: true`, the stall that fails liveness: a stuck loop is restarted 30-40 s later (3
 * failures 10 s apart), as a dead process is, while a long GC or synchronous step never counts.
 */
export const DEFAULT_MAX_STALL_MS = 10_000;
/**
 * With `thread: true`, the lag that fails readiness: a quarter of the kubelet's 1 s timeout, as a late
 * turn is only part of a request's wait (in the saturation bench, 500 failed only a third of the probes).
 */
export const DEFAULT_MAX_LAG_MS = 250;
/** The checks' background interval with `thread: true`, unless `intervalMs` is given. */
export const DEFAULT_THREAD_INTERVAL_MS = 5_000;
