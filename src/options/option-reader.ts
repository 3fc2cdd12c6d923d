import { EXPECTED, UNKNOWN_OPTION, UNREADABLE_OPTION } from '../heartbeat.messages.js';
import { closestName } from './option-names.js';
import { isObject, optional, readingFailed, required, rule, type Rule } from './option-rules.js';

/** Who the errors of the module's own options name. */
export const MODULE_OWNER = 'HeartbeatModule';

const OPTIONS_OBJECT = rule<object>(EXPECTED.options, isObject);

/** Who reads an object of options, and what it may hold. */
export interface OptionsShape<K extends string> {
  /** Who was given the options, as errors name it: `HeartbeatModule`, `httpCheck()`. */
  readonly owner: string;
  /** The object's own name in errors. Default `options`. */
  readonly label?: string;
  /** Put before each key in errors (`environ.`). Default none. */
  readonly prefix?: string;
  readonly known: readonly K[];
  /** An error for a key that belongs somewhere else (a declaration option returned by a factory); `undefined` otherwise. */
  readonly misplaced?: (key: string) => string | undefined;
  /** Other keys are allowed (the members of a check object), only the known ones are read. */
  readonly open?: boolean;
}

/**
 * Reads an object of options once: its known keys (own or inherited, as destructuring would read
 * them) into a plain snapshot, so that a getter is read once and a later change is not seen. Throws
 * an error naming the option for anything that is not an object, an unknown key (with the closest
 * known one) and a key whose reading throws. `undefined` reads as no options.
 */
export function readOptions<K extends string>(value: unknown, shape: OptionsShape<K>): Partial<Record<K, unknown>> {
  const snapshot: Partial<Record<K, unknown>> = {};
  if (value === undefined) return snapshot;
  const { owner, label = 'options', prefix = '', known } = shape;
  required(owner, label, value, OPTIONS_OBJECT);
  let keys: string[] = [];
  try {
    if (!shape.open) keys = Object.keys(value as object);
  } catch (error) {
    throw new TypeError(UNREADABLE_OPTION(owner, label, readingFailed(error)), { cause: error });
  }
  for (const key of keys) {
    if ((known as readonly string[]).includes(key)) continue;
    const misplaced = shape.misplaced?.(key);
    if (misplaced) throw new TypeError(misplaced);
    const closest = closestName(key, known);
    throw new TypeError(
      UNKNOWN_OPTION(prefix + key, closest && prefix + closest, prefix + known.join(`, ${prefix}`), owner),
    );
  }
  for (const key of known) {
    let member: unknown;
    try {
      member = (value as Record<string, unknown>)[key];
    } catch (error) {
      throw new TypeError(UNREADABLE_OPTION(owner, prefix + key, readingFailed(error)), { cause: error });
    }
    if (member !== undefined) snapshot[key] = member;
  }
  return snapshot;
}

/** A nested object of options (`environ`, `metrics`): read once, then each key checked by its rule. */
export function readNested<K extends string>(
  owner: string,
  label: string,
  value: unknown,
  rules: Readonly<Record<K, Rule<unknown>>>,
): Partial<Record<K, unknown>> {
  const prefix = `${label}.`;
  const given = readOptions(value, { owner, label, prefix, known: Object.keys(rules) as K[] });
  return applyRules(owner, given, rules, prefix);
}

/**
 * Applies each rule of `rules` to the option of the same key in `given` (read by `readOptions`),
 * throwing the first option's error; returns the options given, each valid, and none absent.
 */
export function applyRules<K extends string>(
  owner: string,
  given: object,
  rules: Readonly<Record<K, Rule<unknown>>>,
  prefix = '',
): Partial<Record<K, unknown>> {
  const valid: Partial<Record<K, unknown>> = {};
  for (const key of Object.keys(rules) as K[]) {
    const value = optional(owner, prefix + key, (given as Partial<Record<K, unknown>>)[key], rules[key]);
    if (value !== undefined) valid[key] = value;
  }
  return valid;
}
