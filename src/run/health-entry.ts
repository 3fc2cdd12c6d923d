import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { CheckHealth } from '../interfaces/health-state.interface.js';
import type { CheckData } from '../interfaces/probe.interface.js';
import { type CheckPolicy, isCritical } from './check-policy.js';
import type { CheckOutcome } from './probe-result.normalizer.js';
import { checkName } from './check-name.js';

/** What the state keeps of one check; updated in place on each result. */
export interface Entry {
  /** `null` until the first write. */
  status: boolean | null;
  reason: string | undefined;
  data: CheckData;
  durationMs: number;
  checkedAt: number;
  since: number;
  /** Raw results in a row with the same status: positive passing, negative failing. */
  streak: number;
  /** The raw last result, which thresholds may keep from the reported status. */
  lastResult: { status: boolean; reason?: string } | null;
  /** Whether the status is a stale background result's failure. */
  stale: boolean;
  /** The outcome last written: the same object while the check reports the same (`CheckState.remember`). */
  reported: CheckOutcome | null;
}

const NO_DATA: CheckData = Object.freeze({});

/** An entry before its first result is written into it. */
export const FIRST_RESULT: Omit<Entry, 'since'> = {
  status: null,
  reason: undefined,
  data: NO_DATA,
  durationMs: 0,
  checkedAt: 0,
  streak: 0,
  lastResult: null,
  stale: false,
  reported: null,
};

/** What is known of `check` now, from its entry (a copy). */
export function checkHealth(check: RegisteredCheck, entry: Entry | undefined, policy: CheckPolicy): CheckHealth {
  const known = {
    // As bodies show them (secrets masked, one line): state() is read by code that logs it.
    name: checkName(check.name),
    source: checkName(check.source),
    critical: isCritical(check),
    mode: policy.intervalMs > 0 ? ('background' as const) : ('request' as const),
    intervalMs: policy.intervalMs,
    failureThreshold: policy.failureThreshold,
    successThreshold: policy.successThreshold,
  };
  if (!entry || entry.status === null) {
    return {
      ...known,
      status: null,
      data: NO_DATA,
      durationMs: null,
      checkedAt: null,
      since: null,
      consecutiveFailures: 0,
      consecutiveSuccesses: 0,
      lastResult: null,
      stale: false,
    };
  }
  const { status, reason, data, durationMs, checkedAt, since, streak, lastResult, stale } = entry;
  return {
    ...known,
    status,
    ...(reason === undefined ? {} : { reason }),
    data,
    durationMs,
    checkedAt,
    since,
    consecutiveFailures: streak < 0 ? -streak : 0,
    consecutiveSuccesses: streak > 0 ? streak : 0,
    lastResult,
    stale,
  };
}
