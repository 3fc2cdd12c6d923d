import { MAX_CHECK_NAME_LENGTH, MAX_TIMER_MS } from '../heartbeat.constants.js';
import { EXPECTED, INVALID_OPTION_OF, UNREADABLE_OPTION } from '../heartbeat.messages.js';
import { oneLine, reasonOf } from '../util/text.js';

/*
 * The one validator of every option the module is given (forRoot, the forRootAsync factory's result,
 * ProbeRegistry.register, the decorators, the check factories). A rule may throw on a hostile value (a
 * revoked Proxy, a throwing getter): that is the option's error too.
 */

/** What one option accepts, and how its error says it. */
export interface Rule<T> {
  /** A valid value, as the error says it: "a whole number from 1 to 1000". */
  readonly expected: string;
  /** Whether `value` is valid. May throw on a hostile value. */
  accepts(value: unknown): boolean;
  /** @internal Carries `T` for the type of `optional` and `required`. */
  readonly type?: T;
}

/** A rule from its error text and its test. */
export function rule<T>(expected: string, accepts: (value: unknown) => boolean): Rule<T> {
  return { expected, accepts };
}

/** Bounds of a numeric rule: `from`/`to` include their bound, `above` excludes it; `whole` wants an integer. */
export interface NumberBounds {
  readonly from?: number;
  readonly above?: number;
  readonly to?: number;
  readonly whole?: boolean;
}

/** A finite number within `bounds` (NaN and Infinity never are). */
export function numberRule(expected: string, bounds: NumberBounds): Rule<number> {
  const { from, above, to, whole } = bounds;
  return rule(
    expected,
    (value) =>
      typeof value === 'number' &&
      Number.isFinite(value) &&
      (from === undefined || value >= from) &&
      (above === undefined || value > above) &&
      (to === undefined || value <= to) &&
      (!whole || Number.isInteger(value)),
  );
}

/** A whole number from `from` to `to`. */
export function wholeNumber(from: number, to: number): Rule<number> {
  return numberRule(EXPECTED.wholeNumber(from, to), { from, to, whole: true });
}

/** One of a few strings. */
export function oneOf<T extends string>(...choices: readonly T[]): Rule<T> {
  const quoted = choices.map((choice) => `'${choice}'`);
  const expected = `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
  return rule(expected, (value) => (choices as readonly unknown[]).includes(value));
}

/** A non-empty string, at most `maxLength` characters long. */
export function textRule(expected: string, maxLength = Infinity): Rule<string> {
  return rule(expected, (value) => typeof value === 'string' && value.length > 0 && value.length <= maxLength);
}

/** An array every element of which `element` accepts. */
export function arrayOf<T>(expected: string, element: Rule<T>): Rule<T[]> {
  return rule(expected, (value) => Array.isArray(value) && value.every((item) => element.accepts(item)));
}

/** Either rule. */
export function either<A, B>(expected: string, a: Rule<A>, b: Rule<B>): Rule<A | B> {
  return rule(expected, (value) => a.accepts(value) || b.accepts(value));
}

/** An object (not an array) whose members `names` are functions. */
export function withMethods<T>(expected: string, names: readonly string[]): Rule<T> {
  return rule(
    expected,
    (value) => isObject(value) && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
  );
}

/** Whether `value` is an object of options: not null, not an array, not a function. May throw on a revoked Proxy. */
export function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `read()`, or `fallback` when it throws (a hostile getter, a revoked Proxy). */
export function readOr<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}

/** `false`, or an object of nested options (`environ`, `statusPage`). */
export function falseOrObject(what: string): Rule<false | object> {
  return rule(`false or an object of ${what}`, (value) => value === false || isObject(value));
}

/** A route prefix without its leading and trailing slashes. */
export function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}

export const BOOLEAN = rule<boolean>(EXPECTED.boolean, (value) => typeof value === 'boolean');
export const FUNCTION = rule<(...args: never[]) => unknown>('a function', (value) => typeof value === 'function');
export const DURATION = numberRule(EXPECTED.duration, { from: 0, to: MAX_TIMER_MS });
export const TIMEOUT = numberRule(EXPECTED.timeout, { from: 1, to: MAX_TIMER_MS });
const BACKGROUND_PERIOD = numberRule(EXPECTED.interval, { from: 100, to: MAX_TIMER_MS });
/** 0 (on each probe), or a background period of 100 ms at least, so that a check cannot spin. */
export const INTERVAL = rule<number>(EXPECTED.interval, (value) => value === 0 || BACKGROUND_PERIOD.accepts(value));
export const STALE_AFTER = numberRule(EXPECTED.staleAfter, { above: 0, to: MAX_TIMER_MS });
export const THRESHOLD = wholeNumber(1, 1000);
export const PORT = numberRule(EXPECTED.port, { from: 0, to: 65535, whole: true });
/** A host to listen on or connect to: DNS caps a name at 253 characters; a space is never part of one. */
export const HOST = rule<string>(
  EXPECTED.host,
  (value) => typeof value === 'string' && value.length > 0 && value.length <= 253 && !/[\s\p{Cc}]/u.test(value),
);
/**
 * A check's name: a key of every report, a metrics label and a route segment, so it is a string
 * and short (control characters are escaped where it is shown, as a result tuple's name is).
 */
export const CHECK_NAME = textRule(EXPECTED.name, MAX_CHECK_NAME_LENGTH);
/** `false`, or a Nest `LoggerService` (`debug`, `verbose` and `fatal` are optional there). */
export const LOGGER = rule<false | object>(
  EXPECTED.logger,
  (value) => value === false || withMethods(EXPECTED.logger, ['log', 'error', 'warn']).accepts(value),
);
/**
 * A route prefix of RFC 3986's unreserved characters: it means the same to Express, Fastify and the
 * management port (`:`, `*` and `?` are patterns there), and clients send it as written (not so `.` or `..`).
 */
export const ROUTE_PREFIX = rule<string>(EXPECTED.routePrefix, (value) => {
  // Longer, it could not be requested: a request line is capped (16 KiB of headers in Node).
  if (typeof value !== 'string' || value.length > 1024) return false;
  const trimmed = trimSlashes(value);
  return (
    trimmed === '' ||
    trimmed.split('/').every((segment) => /^[A-Za-z0-9._~-]+$/.test(segment) && segment !== '.' && segment !== '..')
  );
});

/** `value` if absent or accepted by `valid`; otherwise throws an error naming `owner` and `option`. */
export function optional<T>(owner: string, option: string, value: unknown, valid: Rule<T>): T | undefined {
  return value === undefined ? undefined : required(owner, option, value, valid);
}

/** `value` if `valid` accepts it (absent is not); otherwise throws an error naming `owner` and `option`. */
export function required<T>(owner: string, option: string, value: unknown, valid: Rule<T>): T {
  let accepted: boolean;
  try {
    accepted = valid.accepts(value);
  } catch (error) {
    throw new TypeError(UNREADABLE_OPTION(owner, option, readingFailed(error)), { cause: error });
  }
  if (!accepted) throw new TypeError(INVALID_OPTION_OF(owner, option, valid.expected, value));
  return value as T;
}

/** Why reading an option threw, on one line, short and masked, whatever was thrown. */
export function readingFailed(error: unknown): string {
  return oneLine(reasonOf(error));
}
