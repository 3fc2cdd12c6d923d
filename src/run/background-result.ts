import { CALL_NOT_SETTLED, CHECK_STALE, NO_RESULT_STALE, NO_RESULT_YET } from '../heartbeat.messages.js';
import type { CheckReading } from '../state/check-outcome.js';
import type { CheckRecord } from '../state/check-record.js';
import type { HealthState } from '../state/health-state.js';
import { failed } from './probe-result.normalizer.js';

/**
 * What a probe answers for a check that runs in the background, without waiting for it: its last
 * result while it is fresh. Before the first result, readiness and startup fail and liveness passes
 * (a restart would not bring the first result sooner). A result older than `staleAfterMs` fails the
 * check, so a stuck loop cannot keep a pod ready for good; the state records it once, and the check
 * counts as failing until its next result. `pending` is the call under way, if any: it says why the
 * result is late (a hung call, not a stuck loop).
 */
export function lastResult(
  record: CheckRecord,
  now: number,
  state: HealthState,
  pending: { readonly startedAt: number } | undefined,
): CheckReading {
  const { check, policy, reported } = record;
  if (record.stale) return record.reading();
  const ageMs = reported === null ? null : now - record.checkedAt;
  const waitedMs = ageMs ?? now - record.createdAt;
  // A startup check that has passed is not run again (its loop ends): its pass never goes stale.
  const fresh = waitedMs <= policy.staleAfterMs || (check.kind === 'startup' && reported?.status === true);
  if (fresh && reported !== null) return record.reading();
  if (fresh) {
    const message = NO_RESULT_YET(policy.intervalMs);
    const outcome =
      check.kind === 'liveliness' ? { name: check.name, status: true, data: { message } } : failed(check, message);
    return record.plain ? { check, outcome, time: 0 } : { check, outcome, time: 0, streak: 0 };
  }
  const { intervalMs, timeoutMs, abandonAfterMs } = policy;
  const why = pending
    ? CALL_NOT_SETTLED(check.source, ageMs, intervalMs, now - pending.startedAt, timeoutMs, abandonAfterMs)
    : ageMs === null
      ? NO_RESULT_STALE(check.source, waitedMs, intervalMs)
      : CHECK_STALE(check.source, ageMs, intervalMs);
  state.markStale(check, failed(check, why));
  return record.reading();
}
