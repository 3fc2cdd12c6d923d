import { STILL_FAILING } from '../heartbeat.messages.js';
import type { CheckPolicy } from '../state/check-policy.js';
import type { CheckData } from '../interfaces/probe.interface.js';
import type { CheckOutcome } from '../state/check-outcome.js';

/** How a check's raw results have gone lately. */
export interface ResultStreak {
  /** Raw results in a row with the same status: positive while passing, negative while failing, 0 before the first. */
  streak: number;
  /** Raw results in a row against the reported status, not yet enough to change it. */
  against: number;
}

/**
 * The outcome to report for a fresh raw result. The first result is reported as it is; after that,
 * the reported status changes only once `failureThreshold` (or `successThreshold`) raw results in a
 * row go the other way. Until then the reported status holds, and the body says so beside the raw
 * result's data: `"failing": 2, "failureThreshold": 3` (or `"passing"` and `"successThreshold"`).
 * Updates `counts` in place.
 */
export function tolerate(
  reported: boolean | null,
  fresh: CheckOutcome,
  counts: ResultStreak,
  policy: CheckPolicy,
): CheckOutcome {
  counts.streak = fresh.status ? Math.max(counts.streak, 0) + 1 : Math.min(counts.streak, 0) - 1;
  if (reported === null || fresh.status === reported) {
    counts.against = 0;
    return fresh;
  }
  const threshold = reported ? policy.failureThreshold : policy.successThreshold;
  if (++counts.against >= threshold) {
    counts.against = 0;
    return fresh;
  }
  if (reported) {
    // Still reported passing: the raw failure stays visible (its message among the data).
    return held(fresh, true, { failing: counts.against, failureThreshold: threshold });
  }
  return held(
    fresh,
    false,
    { passing: counts.against, successThreshold: threshold },
    STILL_FAILING(counts.against, threshold),
  );
}

/**
 * The raw outcome reported with the status a threshold holds, and the counts beside its data. The
 * keys of an indicator result stay as they are (those that disagree held too), so that a held
 * result reads the same as before in every view.
 */
function held(fresh: CheckOutcome, status: boolean, counts: CheckData, reason?: string): CheckOutcome {
  const hold = (outcome: CheckOutcome): CheckOutcome => {
    if (outcome.status === status) return outcome;
    const data =
      reason === undefined ? { ...outcome.data, ...counts } : { message: reason, ...outcome.data, ...counts };
    const kept: CheckOutcome =
      reason === undefined ? { name: outcome.name, status, data } : { name: outcome.name, status, data, reason };
    return outcome.indicator ? { ...kept, indicator: { ...outcome.indicator, status: status ? 'up' : 'down' } } : kept;
  };
  if (!fresh.members) return hold(fresh);
  const members = fresh.members.map(hold);
  return reason === undefined
    ? { name: fresh.name, status, data: {}, members }
    : { name: fresh.name, status, data: {}, reason, members };
}
