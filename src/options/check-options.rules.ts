import { isProbeName, PROBE_ROUTES } from '../probe/probe-kinds.js';
import { UNKNOWN_PROBE_KIND } from '../heartbeat.messages.js';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import type { CheckHandler, CheckOptions, ProbeKind } from '../interfaces/probe.interface.js';
import { applyRules, readOptions } from './option-reader.js';
import {
  BOOLEAN,
  CHECK_NAME,
  DURATION,
  FUNCTION,
  INTERVAL,
  isObject,
  optional,
  readOr,
  required,
  rule,
  type Rule,
  STALE_AFTER,
  THRESHOLD,
} from './option-rules.js';

/** Resolves `liveness` to `liveliness` and rejects anything that is not a probe kind. */
export function toProbeKind(kind: unknown): ProbeKind {
  if (!isProbeName(kind)) throw new TypeError(UNKNOWN_PROBE_KIND(kind));
  return PROBE_ROUTES[kind];
}

/** The rules of the schedule options, shared by the module (its defaults) and each check. */
export const SCHEDULE_RULES = {
  timeoutMs: DURATION,
  cacheTtlMs: DURATION,
  abandonAfterMs: DURATION,
  intervalMs: INTERVAL,
  staleAfterMs: STALE_AFTER,
  failureThreshold: THRESHOLD,
  successThreshold: THRESHOLD,
} as const;

/** The rules of one check's options (`register` and the decorators). */
const CHECK_OPTION_RULES: Readonly<Record<keyof CheckOptions, Rule<unknown>>> = {
  name: CHECK_NAME,
  critical: BOOLEAN,
  ...SCHEDULE_RULES,
};
const CHECK_OPTION_KEYS = Object.keys(CHECK_OPTION_RULES) as (keyof CheckOptions)[];
/**
 * An environ contributor runs on each environ request and only adds data: it has no background
 * schedule, no thresholds and no critical flag, so those options would be accepted and do nothing.
 */
const ENVIRON_OPTION_KEYS: readonly (keyof CheckOptions)[] = ['name', 'timeoutMs', 'cacheTtlMs', 'abandonAfterMs'];

/** A check's options (absent: none), validated, as a fresh object holding only the options given. */
export function readCheckOptions(owner: string, value: unknown, kind?: ProbeKind): CheckOptions {
  const known = kind === 'environ' ? ENVIRON_OPTION_KEYS : CHECK_OPTION_KEYS;
  const given = readOptions(value, { owner, known });
  return applyRules(owner, given, CHECK_OPTION_RULES) as CheckOptions;
}

/** A decorator's argument: a check's name, its options, or nothing. */
export function readDecoratorOptions(owner: string, nameOrOptions: unknown, kind?: ProbeKind): CheckOptions {
  if (typeof nameOrOptions === 'string') return { name: required(owner, 'name', nameOrOptions, CHECK_NAME) };
  return readCheckOptions(owner, nameOrOptions, kind);
}

/**
 * The name a check is registered under: `options.name`, else its own (a function's or a ready-made
 * check's) when that is a valid name, else `fallback`.
 */
export function checkNameOf(owner: string, options: CheckOptions, own: unknown, fallback: string): string {
  if (options.name !== undefined) return options.name;
  if (own === undefined || own === '') return fallback;
  return required(owner, 'name', own, CHECK_NAME);
}

/** The name of a function, or `undefined` when reading it throws (a hostile `name` getter). */
export function functionName(handler: CheckHandler): unknown {
  return readOr(() => handler.name, undefined);
}

/** Whether `value` is meant as a ready-made check, not a function (a revoked Proxy is, so that `readCheck` names it). */
export function isCheckObject(value: unknown): boolean {
  return readOr(() => isObject(value), true);
}

/**
 * A ready-made check given as `option` (`checks.readiness[0]`, `handler`), read once and checked:
 * `run` a function, `name` a valid name (unless `nameGiven`), `health` three strings, `dispose` a
 * function. The members are copied, so that a getter cannot answer differently later.
 */
export function readCheck(owner: string, option: string, value: unknown, nameGiven = false): HeartbeatCheck {
  const given = readMembers(owner, option, value, CHECK_OBJECT, ['run', 'name', 'health', 'dispose']);
  const run = required(owner, `${option}.run`, given.run, FUNCTION) as HeartbeatCheck['run'];
  const name = nameGiven ? '' : required(owner, `${option}.name`, given.name, CHECK_NAME);
  const dispose = optional(owner, `${option}.dispose`, given.dispose, FUNCTION) as HeartbeatCheck['dispose'];
  const health = readHealth(owner, `${option}.health`, given.health);
  // Only a `run` that declares the signal gets one: the runner makes an AbortController only for those.
  const declaresSignal = readOr(() => run.length > 0, false);
  return {
    name,
    run: declaresSignal ? (signal) => run.call(value, signal) : () => run.call(value),
    ...(health ? { health } : {}),
    ...(dispose ? { dispose: () => dispose.call(value) } : {}),
  };
}

const CHECK_OBJECT = rule<object>('a check such as httpCheck() (an object with a run method)', isObject);
const HEALTH = rule<object>('an object of componentType, observedKey and observedUnit strings', isObject);
const HEALTH_MEMBERS = ['componentType', 'observedKey', 'observedUnit'] as const;
const TEXT = rule<string>('a string', (value) => typeof value === 'string');

/** The `known` members of the object `option`, each read once; other members are allowed and left alone. */
function readMembers<K extends string>(
  owner: string,
  option: string,
  value: unknown,
  shape: Rule<object>,
  known: readonly K[],
) {
  required(owner, option, value, shape);
  return readOptions(value, { owner, label: option, prefix: `${option}.`, known, open: true });
}

function readHealth(owner: string, option: string, value: unknown): HeartbeatCheck['health'] {
  if (value === undefined) return undefined;
  const given = readMembers(owner, option, value, HEALTH, HEALTH_MEMBERS);
  const health = HEALTH_MEMBERS.map((key) => [key, required(owner, `${option}.${key}`, given[key], TEXT)]);
  return Object.freeze(Object.fromEntries(health) as NonNullable<HeartbeatCheck['health']>);
}
