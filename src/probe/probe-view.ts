import Negotiator from 'negotiator';
import { capCheckName } from './check-name.js';
import { isEmpty } from '../util/text.js';

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
