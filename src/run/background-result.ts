import { CALL_NOT_SETTLED, CHECK_STALE, NO_RESULT_STALE, NO_RESULT_YET } from '../heartbeat.messages.js';
import type { CheckState } from './check-state.js';
import type { HealthState } from './health-state.js';
import { failed } from './probe-result.normalizer.js';
import { type CheckResult, resultOf } from './check-result.js';

/**
 * What a probe answers for a check that runs in the background, without waiting for it: its last
 * reported result while it is fresh. Before the first result, readiness and startup fail and
 * liveness passes (a restart would not bring the first result sooner). A result older than
 * `staleAfterMs` fails the check, so a stuck loop cannot keep a pod ready for good; the health state
 * hears of it once, until the next result, and from then on the check counts as failing. Called by
 * probes and by the scheduler on each tick, so a stuck check is seen even when no probe asks.
 *
 * Why it is stale decides the message: a call of the handler still pending (the scheduler fires,
 * and waits for it) is a hung check; with none pending, no tick has started a run, and only then is
 * the loop that runs it stuck.
 */
export function lastResult(state: CheckState, now: number, health: HealthState): CheckResult {
  const { check, policy, last } = state;
  if (!last) {
    const waitedMs = now - state.createdAt;
    if (waitedMs > policy.staleAfterMs) return resultOf(state, failed(check, staleText(state, null, waitedMs, now)), 0);
    state.placeholder ??=
      check.kind === 'liveliness'
        ? { name: check.name, status: true, data: { message: NO_RESULT_YET(policy.intervalMs) } }
        : failed(check, NO_RESULT_YET(policy.intervalMs));
    return resultOf(state, state.placeholder, 0);
  }
  const ageMs = now - state.settledAt;
  // A startup check that has passed is not run again (its loop ends): its pass never goes stale.
  if (ageMs <= policy.staleAfterMs || (check.kind === 'startup' && last.status)) return resultOf(state, last);
  const stale = failed(check, staleText(state, ageMs, ageMs, now));
  if (!state.staleReported) {
    // From now on the check is reported failing: a late raw failure cannot be held as a pass.
    state.staleReported = true;
    state.last = stale;
    state.against = 0;
    health.markStale(check, stale);
  }
  return resultOf(state, stale);
}

/** Why the result is stale: the call still pending and what ends it, else the loop that has not run it. */
function staleText(
  { check, policy, pending }: CheckState,
  ageMs: number | null,
  waitedMs: number,
  now: number,
): string {
  const { intervalMs, timeoutMs, abandonAfterMs } = policy;
  if (pending)
    return CALL_NOT_SETTLED(check.source, ageMs, intervalMs, now - pending.startedAt, timeoutMs, abandonAfterMs);
  return ageMs === null
    ? NO_RESULT_STALE(check.source, waitedMs, intervalMs)
    : CHECK_STALE(check.source, ageMs, intervalMs);
}
