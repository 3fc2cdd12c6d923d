import type { LoggerService } from '@nestjs/common';
import { PROBE_ROUTES } from '../heartbeat.constants.js';
import type { ProbeResponse } from '../report/probe-responder.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { TRANSPORT_FAILED } from '../heartbeat.messages.js';
import { capCheckName } from '../run/check-name.js';
import { oneLine } from '../util/text.js';
import { maskUrlCredentials } from '../util/redact.js';

/** Headers of every probe response, on the app and on the management port. */
export const PROBE_HEADERS = {
  'Content-Type': 'application/json; charset=utf-8',
  'Cache-Control': 'no-store',
} as const;
/** The methods a probe route answers (the `Allow` header of a 405). */
export const ALLOWED_METHODS = 'GET, HEAD';
/** Body of the module's own 404: a path under the prefix that names no probe, or a probe not served here. */
export const NOT_FOUND_BODY = JSON.stringify({ statusCode: 404, message: 'Not Found' });
/** Body of the app port's 404 for environ kept private there: absent, as on a port that does not serve it. */
/** Body of the 400 answered on the management port to a path that is not valid percent-encoding. */
export const BAD_PATH_BODY = JSON.stringify({
  statusCode: 400,
  message: 'Bad Request: the path is not valid percent-encoding',
});
/** Body of the 405 answered to methods other than GET and HEAD. */
const METHOD_NOT_ALLOWED_BODY = JSON.stringify({
  statusCode: 405,
  message: 'Method Not Allowed: probes answer GET and HEAD',
});

/** The module's own answers to a path that names no probe (404), a bad method (405) or bad percent-encoding (400). */
export const REFUSED: Readonly<Record<400 | 404 | 405, ProbeResponse>> = Object.freeze({
  400: { statusCode: 400, contentType: PROBE_HEADERS['Content-Type'], body: BAD_PATH_BODY },
  404: { statusCode: 404, contentType: PROBE_HEADERS['Content-Type'], body: NOT_FOUND_BODY },
  405: { statusCode: 405, contentType: PROBE_HEADERS['Content-Type'], body: METHOD_NOT_ALLOWED_BODY },
});

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

/**
 * The answer when producing a probe's response threw: `failureStatusCode` (the kubelet counts the
 * probe as failing, as for any failing check) and a JSON message without the error's text or stack,
 * which go to the log only, with URL passwords masked. A logger that throws is ignored.
 */
export function transportFailure(
  kind: ProbeKind,
  error: unknown,
  statusCode: number,
  logger: LoggerService | null,
): ProbeResponse {
  try {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    const stack = error instanceof Error && typeof error.stack === 'string' ? error.stack : undefined;
    const line = TRANSPORT_FAILED(kind, oneLine(reason));
    if (stack === undefined) logger?.error(line);
    else logger?.error(line, maskUrlCredentials(stack));
  } catch {
    // A hostile error (a throwing getter) or a throwing logger must not cost the kubelet its answer.
  }
  const message = `The ${kind} probe could not be answered; the error is in the application's log`;
  return { statusCode, contentType: PROBE_HEADERS['Content-Type'], body: JSON.stringify({ statusCode, message }) };
}
