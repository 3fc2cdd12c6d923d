import type { ProbeKind } from '../interfaces/probe.interface.js';
import { type Evaluation, isDegraded, type ReportEntry } from './report.builder.js';
import Negotiator from 'negotiator';
import { capCheckName } from '../run/check-name.js';
import { isEmpty } from '../util/text.js';
import { defineKey } from '../util/define-key.js';

/** How a probe is to be answered: the seed's JSON (default), the API server's text, or health+json. */
export type ProbeFormat = 'json' | 'text' | 'health+json' | 'terminus';

/** A request's view of a probe: its format, one check alone, or checks to skip. */
export interface ProbeView {
  readonly format?: ProbeFormat;
  /** Set when the request named its format (`?format=`), which then wins over `responseFormat`. */
  readonly formatGiven?: true;
  /** Answer this one check alone (its key in the report). */
  readonly check?: string;
  /** Skip the checks registered under these names for this request. */
  readonly exclude?: readonly string[];
}

/** The Content-Type each format is answered with. */
export const CONTENT_TYPES: Record<ProbeFormat, string> = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  'health+json': 'application/health+json; charset=utf-8',
  terminus: 'application/json; charset=utf-8',
};

/** At most this many `?exclude=` names are read from one request; the rest are ignored. */
export const MAX_EXCLUDES = 32;

/** The media types a probe offers, the seed's JSON first so that `*\/*` and ties select it. */
const OFFERED = ['application/json', 'application/health+json', 'text/plain'];
const FORMAT_OF: Readonly<Record<string, ProbeFormat>> = {
  'application/json': 'json',
  'application/health+json': 'health+json',
  'text/plain': 'text',
};

/**
 * Reads the view from a request's query and Accept header. The Accept header is negotiated with
 * q-values (the seed's JSON, the IETF draft's `application/health+json`, or the API server's
 * `text/plain`); `?verbose` (but not `?verbose=false` or `?verbose=0`) selects text unless
 * health+json was negotiated; `?exclude=` (repeatable) names checks to skip, capped in count and
 * length because they are echoed in `unknownExcludes`. An Accept header that accepts none of the
 * three, like the kubelet's `Accept: *\/*`, gets the seed's JSON.
 */
export function parseView(query: Record<string, unknown> | URLSearchParams | undefined, accept: unknown): ProbeView {
  const anyType = typeof accept !== 'string' || accept === '*/*';
  const noQuery = query === undefined || (query instanceof URLSearchParams ? query.size === 0 : isEmpty(query));
  // The kubelet's request (Accept: */*, no query): nothing to read, nothing allocated.
  if (anyType && noQuery) return DEFAULT_VIEW;
  const negotiated = anyType ? 'json' : negotiate(accept);
  if (noQuery) return negotiated === 'json' ? DEFAULT_VIEW : VIEWS[negotiated];
  const get = (name: string): unknown =>
    query instanceof URLSearchParams ? (query.has(name) ? query.getAll(name) : undefined) : query?.[name];
  const given = formatOf(get('format'));
  const format: ProbeFormat =
    given ?? (negotiated !== 'health+json' && isVerbose(get('verbose')) ? 'text' : negotiated);
  const exclude = excludedNames(get('exclude'));
  if (given) return exclude.length ? { format, formatGiven: true, exclude } : { format, formatGiven: true };
  return exclude.length ? { format, exclude } : VIEWS[format];
}

/** The view of a request without query or particular Accept header: the kubelet's. */
export const DEFAULT_VIEW: ProbeView = Object.freeze({ format: 'json' });
const VIEWS: Readonly<Record<ProbeFormat, ProbeView>> = {
  json: DEFAULT_VIEW,
  text: Object.freeze({ format: 'text' }),
  'health+json': Object.freeze({ format: 'health+json' }),
  terminus: Object.freeze({ format: 'terminus' }),
};

/** The format `accept` prefers among those offered; the seed's JSON when it accepts none of them. */
function negotiate(accept: string): ProbeFormat {
  const preferred = new Negotiator({ headers: { accept } }).mediaType(OFFERED);
  return (preferred !== undefined && FORMAT_OF[preferred]) || 'json';
}

/** The last `?format=` given, when it names a format (`json`, `text`, `health+json` or `terminus`). */
function formatOf(value: unknown): ProbeFormat | undefined {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  // `+` in a query string is a space: `?format=health+json` arrives as `health json`.
  if (last === 'health json') return 'health+json';
  return last === 'json' || last === 'text' || last === 'health+json' || last === 'terminus' ? last : undefined;
}

/** `?verbose`, `?verbose=`, `?verbose=1`, `?verbose=true` are verbose; `false` and `0` are not. The last one given counts. */
function isVerbose(value: unknown): boolean {
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  if (last === undefined) return false;
  if (typeof last !== 'string') return true;
  const text = last.length <= 5 ? last.trim().toLowerCase() : last;
  return text !== 'false' && text !== '0';
}

/** The distinct names of `?exclude=`: at most `MAX_EXCLUDES`, each cut to the length a check's name may have. */
function excludedNames(value: unknown): string[] {
  const given = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const names: string[] = [];
  for (const name of given) {
    if (names.length === MAX_EXCLUDES) break;
    if (typeof name !== 'string' || name === '') continue;
    const capped = capCheckName(name);
    if (!names.includes(capped)) names.push(capped);
  }
  return names;
}

/**
 * The Kubernetes API server's `?verbose` text: one `[+]name ok` / `[-]name failed: reason` line per
 * check; a capped body's marker on a line of its own before the last.
 */
export function renderText(kind: ProbeKind, evaluation: Evaluation, details: boolean, truncated?: string): string {
  const lines = evaluation.entries.map((entry) => {
    const { key, outcome, critical } = entry;
    if (outcome.status) return `[+]${key} ok${isDegraded(outcome) ? ' (degraded)' : ''}${history(entry)}`;
    const reason = reasonShown(entry, details);
    return `[-]${key} failed${reason === undefined ? '' : `: ${reason}`}${critical ? '' : ' (non-critical)'}${history(entry)}`;
  });
  if (truncated !== undefined) lines.push(truncated);
  lines.push(`${kind} check ${evaluation.report.status ? 'passed' : 'failed'}`);
  return lines.join('\n') + '\n';
}

/**
 * When a check that runs in the background or has thresholds last ran and its streak of raw
 * results, for the text view: ` (checked <ISO time>, passed 3 times in a row)`; nothing for others.
 */
function history({ streak, time }: ReportEntry): string {
  if (streak === undefined) return '';
  const checked = time ? new Date(time).toISOString() : 'not yet';
  if (streak === 0) return ` (checked ${checked})`;
  const times = Math.abs(streak);
  return ` (checked ${checked}, ${streak > 0 ? 'passed' : 'failed'} ${times} time${times === 1 ? '' : 's'} in a row)`;
}

/**
 * The IETF draft "Health Check Response Format for HTTP APIs" (application/health+json); a capped
 * body carries `truncated` instead of `unknownExcludes`.
 */
export function renderHealthJson(
  evaluation: Evaluation,
  details: boolean,
  unknownExcludes?: string[],
  truncated?: string,
): string {
  let aggregate: 'pass' | 'warn' | 'fail' = 'pass';
  const checks: Record<string, object[]> = {};
  for (const entry of evaluation.entries) {
    // A degraded check passes the probe but is `warn` here, as the draft defines it.
    const { outcome } = entry;
    const status = !outcome.status ? (entry.critical ? 'fail' : 'warn') : isDegraded(outcome) ? 'warn' : 'pass';
    if (status === 'fail') aggregate = 'fail';
    else if (status === 'warn' && aggregate === 'pass') aggregate = 'warn';
    defineKey(checks, entry.key, [component(entry, status, details)]);
  }
  const body: Record<string, unknown> = { status: aggregate, checks };
  if (truncated !== undefined) body.truncated = truncated;
  else if (unknownExcludes?.length) body.unknownExcludes = unknownExcludes;
  return JSON.stringify(body);
}

function component(entry: ReportEntry, status: string, details: boolean): object {
  const health = entry.check?.health;
  const result: Record<string, unknown> = {
    componentId: entry.key,
    componentType: health?.componentType ?? 'component',
  };
  if (details && health) {
    const observed = entry.outcome.data[health.observedKey];
    if (observed !== undefined) {
      result.observedValue = observed;
      result.observedUnit = health.observedUnit;
    }
  }
  result.status = status;
  result.time = new Date(entry.time || Date.now()).toISOString();
  if (entry.streak !== undefined) {
    result.consecutiveSuccesses = Math.max(entry.streak, 0);
    result.consecutiveFailures = Math.max(-entry.streak, 0);
  }
  if (!entry.outcome.status) {
    const output = reasonShown(entry, details);
    if (output !== undefined) result.output = output;
  }
  return result;
}

/**
 * A failing check's reason as a view shows it: its text, `reason withheld` when `details: 'never'`
 * hides one, nothing when it has none (it returned `false`, an HTTP check got its status code).
 */
function reasonShown({ outcome }: ReportEntry, details: boolean): string | undefined {
  if (!outcome.reason) return undefined;
  return details ? outcome.reason : 'reason withheld';
}
