import type { ProbeKind } from './interfaces/probe.interface.js';
import type { Evaluation, ReportEntry } from './report.builder.js';
import { isEmpty } from './probe-result.normalizer.js';
import { defineKey } from './report.serializer.js';

/** How a probe is to be answered: the seed's JSON (default), the API server's text, or health+json. */
export type ProbeFormat = 'json' | 'text' | 'health+json';

/** A request's view of a probe: its format, one check alone, or checks to skip. */
export interface ProbeView {
  readonly format?: ProbeFormat;
  /** Answer this one check alone (its key in the report). */
  readonly check?: string;
  /** Skip the checks registered under these names for this request. */
  readonly exclude?: readonly string[];
}

export const CONTENT_TYPES: Record<ProbeFormat, string> = {
  json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  'health+json': 'application/health+json; charset=utf-8',
};

/**
 * Reads the view from a request's query and Accept header: `?verbose` or `Accept: text/plain`
 * selects text, `Accept: application/health+json` the IETF draft format, `?exclude=` (repeatable)
 * names checks to skip. The kubelet's `Accept: *\/*` gets the seed's JSON.
 */
export function parseView(query: Record<string, unknown> | URLSearchParams | undefined, accept: unknown): ProbeView {
  if (accept === undefined || accept === '*/*') {
    if (query === undefined || (query instanceof URLSearchParams ? query.size === 0 : isEmpty(query)))
      return DEFAULT_VIEW;
  }
  const get = (name: string): unknown =>
    query instanceof URLSearchParams ? (query.has(name) ? query.getAll(name) : undefined) : query?.[name];
  const acceptText = typeof accept === 'string' ? accept.toLowerCase() : '';
  const format: ProbeFormat = acceptText.includes('application/health+json')
    ? 'health+json'
    : get('verbose') !== undefined || acceptText.includes('text/plain')
      ? 'text'
      : 'json';
  const excluded = get('exclude');
  const exclude = (Array.isArray(excluded) ? excluded : excluded === undefined ? [] : [excluded]).filter(
    (name): name is string => typeof name === 'string' && name !== '',
  );
  return exclude.length ? { format, exclude } : { format };
}

/** The view of a request without query or particular Accept header: the kubelet's. */
const DEFAULT_VIEW: ProbeView = Object.freeze({ format: 'json' });

/** The Kubernetes API server's `?verbose` text: one `[+]name ok` / `[-]name failed: reason` line per check. */
export function renderText(kind: ProbeKind, evaluation: Evaluation, details: boolean): string {
  const lines = evaluation.entries.map(({ key, outcome, critical }) => {
    if (outcome.status) return `[+]${key} ok`;
    const reason = details && outcome.reason ? outcome.reason : 'reason withheld';
    return `[-]${key} failed: ${reason}${critical ? '' : ' (non-critical)'}`;
  });
  lines.push(`${kind} check ${evaluation.report.status ? 'passed' : 'failed'}`);
  return lines.join('\n') + '\n';
}

/** The IETF draft "Health Check Response Format for HTTP APIs" (application/health+json). */
export function renderHealthJson(evaluation: Evaluation, details: boolean, unknownExcludes?: string[]): string {
  let aggregate: 'pass' | 'warn' | 'fail' = 'pass';
  const checks: Record<string, object[]> = {};
  for (const entry of evaluation.entries) {
    const status = entry.outcome.status ? 'pass' : entry.critical ? 'fail' : 'warn';
    if (status === 'fail') aggregate = 'fail';
    else if (status === 'warn' && aggregate === 'pass') aggregate = 'warn';
    defineKey(checks, entry.key, [component(entry, status, details)]);
  }
  const body: Record<string, unknown> = { status: aggregate, checks };
  if (unknownExcludes?.length) body.unknownExcludes = unknownExcludes;
  return JSON.stringify(body);
}

function component(entry: ReportEntry, status: string, details: boolean): object {
  const health = entry.probe?.health;
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
  if (!entry.outcome.status) result.output = details && entry.outcome.reason ? entry.outcome.reason : 'reason withheld';
  return result;
}
