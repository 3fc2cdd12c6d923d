import { CHECK_STALE, NO_RESULT_YET } from '../heartbeat.messages.js';
import type { CheckState } from './check-state.js';
import type { HealthState } from './health-state.js';
import { type CheckOutcome, failed } from './probe-result.normalizer.js';
import type { CheckResult } from './probe.runner.js';

/** A check's result from its state: the outcome, when it was produced and, unless its policy is plain, its streak. */
export function resultOf(state: CheckState, outcome: CheckOutcome, time = state.settledAt): CheckResult {
  return state.plain
    ? { check: state.check, outcome, time }
    : { check: state.check, outcome, time, streak: state.streak };
}

/**
 * What a probe answers for a check that runs in the background, without waiting for it: its last
 * reported result while it is fresh. Before the first result, readiness and startup fail and
 * liveness passes (a restart would not bring the first result sooner). A result older than
 * `staleAfterMs` fails the check, so a stuck loop cannot keep a pod ready for good; the health state
 * hears of it once, until the next result.
 */
export function lastResult(state: CheckState, now: number, health: HealthState): CheckResult {
  const { check, policy, last } = state;
  if (!last) {
    state.placeholder ??=
      check.kind === 'liveliness'
        ? { name: check.name, status: true, data: { message: NO_RESULT_YET(policy.intervalMs) } }
        : failed(check, NO_RESULT_YET(policy.intervalMs));
    return resultOf(state, state.placeholder, 0);
  }
  const ageMs = now - state.settledAt;
  // A startup check that has passed is not run again (its loop ends): its pass never goes stale.
  if (ageMs <= policy.staleAfterMs || (check.kind === 'startup' && last.status)) return resultOf(state, last);
  const stale = failed(check, CHECK_STALE(check.source, ageMs, policy.intervalMs));
  if (!state.staleReported) {
    state.staleReported = true;
    health.markStale(check, stale);
  }
  return resultOf(state, stale);
}
