import { STILL_FAILING } from '../heartbeat.messages.js';
import type { CheckPolicy } from './check-policy.js';
import type { CheckOutcome } from './probe-result.normalizer.js';

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
    return {
      name: fresh.name,
      status: true,
      data: { ...fresh.data, failing: counts.against, failureThreshold: threshold },
    };
  }
  const reason = STILL_FAILING(counts.against, threshold);
  return {
    name: fresh.name,
    status: false,
    data: { message: reason, ...fresh.data, passing: counts.against, successThreshold: threshold },
    reason,
  };
}
