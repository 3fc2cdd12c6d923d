import type { ProbeKind } from '../interfaces/probe.interface.js';
import { capCheckName } from './check-name.js';
import { PROBE_ROUTES } from './probe-kinds.js';

/** What a path under the prefix names: a probe, or one check of a probe (`<probe>/<name>`). */
export interface ProbeRoute {
  readonly kind: ProbeKind;
  /** The check's name, decoded and capped as `capCheckName` does. */
  readonly check?: string;
}

/** One frozen route per probe path, so that matching a whole probe allocates nothing. */
const WHOLE_PROBES: ReadonlyMap<string, ProbeRoute> = new Map(
  Object.entries(PROBE_ROUTES).map(([route, kind]) => [route, Object.freeze({ kind })]),
);

/**
 * What the decoded segments after the prefix name: `<probe>` or `<probe>/<check>`. `null` for
 * anything else (an unknown probe, `environ/<x>`, an empty name).
 */
export function routeOf(probe: string, check?: string): ProbeRoute | null {
  const whole = WHOLE_PROBES.get(probe);
  if (!whole || check === undefined) return whole ?? null;
  if (whole.kind === 'environ' || check === '') return null;
  return { kind: whole.kind, check: capCheckName(check) };
}

/**
 * Matches `rest`, the path after the prefix and its slash as it came in (percent-encoded), as the
 * app's `:probe` and `:probe/:check` routes match theirs: `null` for deeper paths and a trailing
 * slash after a name, `'malformed'` for a segment that is not valid percent-encoding (the adapters
 * answer those with 400).
 */
export function matchPath(rest: string): ProbeRoute | null | 'malformed' {
  const whole = WHOLE_PROBES.get(rest);
  if (whole) return whole;
  const slash = rest.indexOf('/');
  const probe = safeDecode(slash === -1 ? rest : rest.slice(0, slash));
  if (probe === null) return 'malformed';
  if (slash === -1) return routeOf(probe);
  const check = rest.slice(slash + 1);
  if (check.includes('/')) return null;
  const decoded = safeDecode(check);
  return decoded === null ? 'malformed' : routeOf(probe, decoded);
}

/** What a transport does with a request: answer a probe, or give the module's own 400, 404 or 405. */
export type RouteMatch =
  { readonly route: ProbeRoute; readonly refused?: undefined } | { readonly refused: 400 | 404 | 405 };

const NOT_FOUND_MATCH: RouteMatch = Object.freeze({ refused: 404 as const });
const NOT_ALLOWED_MATCH: RouteMatch = Object.freeze({ refused: 405 as const });
const MALFORMED_MATCH: RouteMatch = Object.freeze({ refused: 400 as const });

/**
 * The decision both transports share once a route is known: a probe not served here is the
 * module's 404, and a served one answers GET and HEAD only (405 for other methods).
 */
export function decideRoute(
  method: string,
  route: ProbeRoute | null,
  served: (kind: ProbeKind) => boolean,
): RouteMatch {
  if (route === null || !served(route.kind)) return NOT_FOUND_MATCH;
  return method === 'GET' || method === 'HEAD' ? { route } : NOT_ALLOWED_MATCH;
}

/**
 * The route table, pure: what `method` on `path` (the URL's path, still percent-encoded) asks for
 * under `prefix` (with its slashes: `/.well-known/heartbeat/`, or `/`). The management port reads
 * it whole; the app's controller, whose prefix Nest has matched, reads `decideRoute`.
 */
export function matchRoute(
  prefix: string,
  method: string,
  path: string,
  served: (kind: ProbeKind) => boolean,
): RouteMatch {
  if (!path.startsWith(prefix)) return NOT_FOUND_MATCH;
  const route = matchPath(path.slice(prefix.length));
  return route === 'malformed' ? MALFORMED_MATCH : decideRoute(method, route, served);
}

function safeDecode(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
