import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { INVALID_CHECK_OPTION } from './checks.messages.js';

/** Bounds of one numeric option; `above` excludes its bound, `from` includes it. */
interface NumberRule {
  readonly from?: number;
  readonly above?: number;
  readonly to?: number;
  readonly whole?: boolean;
  readonly expected: string;
}

/**
 * Returns `value` if it is a number within `rule`, undefined if it is undefined, and throws the
 * check's clear error otherwise: a factory fails at bootstrap rather than a check misbehaving later.
 */
export function numberOption(check: string, option: string, value: unknown, rule: NumberRule): number | undefined {
  if (value === undefined) return undefined;
  const valid =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.from === undefined || value >= rule.from) &&
    (rule.above === undefined || value > rule.above) &&
    (rule.to === undefined || value <= rule.to) &&
    (!rule.whole || Number.isInteger(value));
  if (!valid) throw new TypeError(INVALID_CHECK_OPTION(check, option, rule.expected, value));
  return value;
}

/** A timeout a Node timer can hold: 1 to 2^31-1 ms. */
export const TIMEOUT_RULE: NumberRule = {
  from: 1,
  to: MAX_TIMER_MS,
  expected: `a number of milliseconds from 1 to ${MAX_TIMER_MS}`,
};

/** Throws the check's clear error unless `value` is a non-empty string. */
export function textOption(check: string, option: string, value: unknown, expected: string): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(INVALID_CHECK_OPTION(check, option, expected, value));
  }
  return value;
}

/** As `numberOption`, for an option that has no default. */
export function requiredNumberOption(check: string, option: string, value: unknown, rule: NumberRule): number {
  const valid = numberOption(check, option, value, rule);
  if (valid === undefined) throw new TypeError(INVALID_CHECK_OPTION(check, option, rule.expected, value));
  return valid;
}
