import type { IndicatorStatus } from '../state/check-outcome.js';
import { isPlainObject } from '../util/text.js';

/*
 * What @nestjs/terminus health indicators return and throw, recognised by shape, so that their
 * results are check results without a dependency on terminus.
 */

const STATUSES: ReadonlySet<unknown> = new Set(['up', 'down', 'degraded']);
const CHECK_STATUSES: ReadonlySet<unknown> = new Set(['ok', 'error', 'shutting_down', 'degraded']);

/** At most this many keys make an indicator result (each a check of the report); a larger object is not one. */
export const MAX_INDICATOR_KEYS = 64;

/** One key of a `HealthIndicatorResult`. */
export interface IndicatorEntry {
  readonly key: string;
  readonly status: IndicatorStatus;
  /** Whether `status` came first in the entry (terminus 10's `getStatus`) or last (terminus 11+'s `up()`/`down()`). */
  readonly statusFirst: boolean;
  readonly data: Record<string, unknown>;
}

/**
 * The entries of a terminus `HealthIndicatorResult` (`{ database: { status: 'up', ... } }`, one key
 * or several), or `null` when `value` is not one. An object with a `status` of its own is the
 * module's `{ status, ...data }`, never an indicator result.
 */
export function indicatorEntries(value: unknown): IndicatorEntry[] | null {
  // An indicator may be keyed `status` (`http.pingCheck('status', url)`): only a `status` that is not
  // an entry makes the value the module's own shape.
  if (!isPlainObject(value) || (Object.hasOwn(value, 'status') && !isPlainObject(value.status))) return null;
  const keys = Object.keys(value);
  if (keys.length === 0 || keys.length > MAX_INDICATOR_KEYS) return null;
  const entries: IndicatorEntry[] = [];
  for (const key of keys) {
    const entry = value[key];
    if (!isPlainObject(entry)) return null;
    const { status, ...data } = entry;
    if (!STATUSES.has(status)) return null;
    entries.push({ key, status: status as IndicatorStatus, statusFirst: Object.keys(entry)[0] === 'status', data });
  }
  return entries;
}

/** The entries of what `HealthCheckService.check` returns when it passes: `{ status: 'ok', info, error, details }`. */
export function checkResultEntries(value: unknown): IndicatorEntry[] | null {
  if (!isPlainObject(value) || !CHECK_STATUSES.has(value.status)) return null;
  return indicatorEntries(value.details);
}

/**
 * The indicator result carried by what terminus throws: a `HealthCheckError`'s `causes` (terminus
 * 10 and the indicators written for it), or the `{ status, info, error, details }` response of the
 * `ServiceUnavailableException` that `HealthCheckService.check` throws. `null` for anything else,
 * including a value whose inspection throws.
 */
export function thrownIndicatorEntries(error: unknown): IndicatorEntry[] | null {
  try {
    if (error === null || typeof error !== 'object') return null;
    const causes = indicatorEntries((error as { causes?: unknown }).causes);
    if (causes) return causes;
    const holder = error as { getResponse?: unknown; response?: unknown };
    const response: unknown =
      typeof holder.getResponse === 'function' ? (holder.getResponse as () => unknown).call(error) : holder.response;
    return checkResultEntries(response);
  } catch {
    return null;
  }
}
