import type { ProbeKind } from '../interfaces/probe.interface.js';

/**
 * The one list of probe names: each name a route under the prefix, a kind `register` accepts and
 * a key of the `checks` option, and the probe it means. `liveness`, the Kubernetes spelling, is an
 * alias of the seed's `liveliness`: every route, `register` and the `checks` option read it here.
 */
export const PROBE_ROUTES = {
  readiness: 'readiness',
  liveliness: 'liveliness',
  liveness: 'liveliness',
  startup: 'startup',
  environ: 'environ',
} as const;

/** A probe's name as a route, `register` and the `checks` option accept it. */
export type ProbeName = keyof typeof PROBE_ROUTES;

/** The names, in order, for messages. */
export const PROBE_NAMES = Object.keys(PROBE_ROUTES) as ProbeName[];

/** The probes that report the health of checks (every probe but environ), in order. */
export const HEALTH_PROBES = ['readiness', 'liveliness', 'startup'] as const;

/** Whether `name` is one of the probe names (an own key: `__proto__` and `toString` are not). */
export function isProbeName(name: unknown): name is ProbeName {
  return typeof name === 'string' && Object.hasOwn(PROBE_ROUTES, name);
}

/** A probe that reports the health of checks (every probe but environ). */
export type HealthProbe = Exclude<ProbeKind, 'environ'>;
