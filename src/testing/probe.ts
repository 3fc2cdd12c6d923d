import type { ProbeFormat } from '../index.js';
import type { EnvironReport, ProbeKind, ProbeReport } from '../interfaces/probe.interface.js';
import { TESTING_NO_CHECK } from '../heartbeat.messages.js';
import { probeKindOf, serviceOf, type TestedApp, type TestedProbe } from './testing-app.js';

/** What `probe` may ask: one check alone, checks to skip, a format (as `?format=` would). */
export interface ProbeOptions<F extends ProbeFormat = ProbeFormat> {
  /** Answer this one check alone, as the route `<probe>/<check>` does. */
  readonly check?: string;
  /** Skip the checks registered under these names, as `?exclude=` does. */
  readonly exclude?: readonly string[];
  /** The body's format, as `?format=` selects it; the seed's JSON (or `responseFormat`) when absent. */
  readonly format?: F;
}

/** One check of a probe's answer, whatever its format. */
export interface CheckView {
  /** Its key in the body (`db`, `db#2`, an indicator's key). */
  readonly name: string;
  readonly status: boolean;
  /** Why it fails, as the body shows it (`message` in JSON, the reason in text, `output` in health+json). */
  readonly message?: string;
  /** Everything else the body shows of it. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** `application/health+json` as the module answers it. */
export interface HealthJsonBody {
  status: 'pass' | 'warn' | 'fail';
  checks: Record<string, Record<string, unknown>[]>;
  [key: string]: unknown;
}

/** Terminus's body (`format: 'terminus'`). */
export interface TerminusBody {
  status: 'ok' | 'error' | 'shutting_down' | 'degraded';
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
  details: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

/** The body `probe` parses for a probe and a format. */
export type ProbeBody<K extends TestedProbe = TestedProbe, F extends ProbeFormat = 'json'> = K extends 'environ'
  ? EnvironReport
  : F extends 'text'
    ? string
    : F extends 'health+json'
      ? HealthJsonBody
      : F extends 'terminus'
        ? TerminusBody
        : ProbeReport;

/** A probe's answer, as the ports would send it, read for a test. */
export interface ProbeResult<B = unknown> {
  /** The probe asked (`liveness` is answered as `liveliness`). */
  readonly probe: ProbeKind;
  readonly statusCode: number;
  readonly contentType: string;
  /** The bytes the ports would send. */
  readonly text: string;
  /** The body, parsed (text stays a string). */
  readonly body: B;
  /** Whether the probe passes: status code 200. */
  readonly passed: boolean;
  /** Each check of the answer by its key. */
  readonly checks: Readonly<Record<string, CheckView>>;
  /** The check named `name`, or an error listing the checks of the answer. */
  check(name: string): CheckView;
}

/**
 * Asks a probe of `app` as a request to its route would, without an HTTP server: the status code,
 * content type and bytes come from `HeartbeatService.respond`, which every port serves.
 */
export async function probe<K extends TestedProbe, F extends ProbeFormat = 'json'>(
  app: TestedApp,
  kind: K,
  options: ProbeOptions<F> = {},
): Promise<ProbeResult<ProbeBody<K, F>>> {
  const probeKind = probeKindOf(kind);
  const service = serviceOf(app, 'probe');
  const { check, exclude, format } = options;
  const response = await service.respond(probeKind, {
    ...(format === undefined ? {} : { format, formatGiven: true as const }),
    ...(check === undefined ? {} : { check }),
    ...(exclude === undefined ? {} : { exclude }),
  });
  const text = response.body;
  const parsed = format === 'text' && probeKind !== 'environ' ? text : (JSON.parse(text) as unknown);
  const views = checkViews(probeKind, parsed);
  const checks = Object.fromEntries(views.map((view) => [view.name, view]));
  return {
    probe: probeKind,
    statusCode: response.statusCode,
    contentType: response.contentType,
    text,
    body: parsed as ProbeBody<K, F>,
    passed: response.statusCode === 200,
    checks,
    check(name: string): CheckView {
      const view = views.find((candidate) => candidate.name === name);
      if (!view)
        throw new Error(
          TESTING_NO_CHECK(
            probeKind,
            name,
            views.map((candidate) => candidate.name),
          ),
        );
      return view;
    },
  };
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** The checks of a parsed body, read the way its format writes them. */
function checkViews(kind: ProbeKind, body: unknown): CheckView[] {
  if (typeof body === 'string') return textChecks(body);
  if (!isObject(body)) return [];
  if (kind === 'environ') {
    const errors = isObject(body.errors) ? body.errors : {};
    return Object.entries(errors).map(([name, message]) => ({
      name,
      status: false,
      message: textOf(message),
      data: {},
    }));
  }
  if (isObject(body.details)) {
    // Terminus: `{ status: 'up' | 'down', ...data }` per key.
    return Object.entries(body.details).map(([name, entry]) => {
      const { status, ...data } = isObject(entry) ? entry : {};
      return { name, status: status !== 'down', message: textOf(data.message), data };
    });
  }
  if (!isObject(body.checks)) return [];
  return Object.entries(body.checks).map(([name, entry]) => {
    if (Array.isArray(entry)) {
      // health+json: one component per key; `warn` is a degraded check, or a failing non-critical one (with `output`).
      const { status, ...data } = isObject(entry[0]) ? entry[0] : {};
      const failing = status === 'fail' || (status === 'warn' && data.output !== undefined);
      return { name, status: !failing, message: textOf(data.output), data };
    }
    const { status, ...data } = isObject(entry) ? entry : {};
    return { name, status: status === true, message: textOf(data.message), data };
  });
}

/** What the text format adds after a reason: ` (non-critical)`, ` (checked <time>, failed 2 times in a row)`. */
const TEXT_SUFFIXES = /( \(non-critical\))?( \(checked [^)]*\))?$/;

/** The checks of the text format: `[+]name ok ...` and `[-]name failed: reason ...`, one a line. */
function textChecks(body: string): CheckView[] {
  const views: CheckView[] = [];
  for (const line of body.split('\n')) {
    const match = /^\[([+-])\](.+?) (?:ok|failed)(: .*| \(.*)?$/.exec(line);
    if (!match) continue;
    const reason = match[3]?.startsWith(': ') ? match[3].slice(2).replace(TEXT_SUFFIXES, '') : undefined;
    views.push({ name: match[2], status: match[1] === '+', message: reason, data: {} });
  }
  return views;
}
