import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { CheckHealth } from '../interfaces/health-state.interface.js';
import { checkName } from '../probe/check-name.js';
import { type CheckOutcome, type CheckReading, isDegraded } from './check-outcome.js';
import { type CheckPolicy, isCritical, isPlain } from './check-policy.js';

/**
 * Everything the module knows of one registered check: the one record that the runner writes and
 * every other part (evaluator, serializer, transports, metrics, gRPC, the worker thread) reads.
 */
export class CheckRecord {
  /** What probes report now (thresholds applied); `null` before the first result. */
  reported: CheckOutcome | null = null;
  /** The last raw result, which a threshold may keep from `reported`. */
  raw: { readonly status: boolean; readonly reason?: string } | null = null;
  /** Raw results in a row with the same status: positive passing, negative failing, 0 before the first. */
  streak = 0;
  /** Raw results in a row against the reported status, not yet enough to change it. */
  against = 0;
  /** How long the call behind the last result ran (to the timeout when it timed out). */
  durationMs = 0;
  /** When the last result was produced (epoch ms); 0 before the first. */
  checkedAt = 0;
  /** Since when the reported status has been what it is. */
  since: number;
  /** Until when `reported` is served from the cache (`cacheTtlMs`). */
  cachedUntil = 0;
  /** Whether `reported` is the failure of a background result older than `staleAfterMs`. */
  stale = false;
  /** A startup check that has passed once: it is not run again. */
  startedUp = false;
  /** The runner's own: the check's call in progress (of the runner's type); nothing else reads it. */
  flight: object | undefined = undefined;
  /** Whether the policy is the default one (on request, no thresholds): readings then carry no streak. */
  readonly plain: boolean;

  constructor(
    readonly check: RegisteredCheck,
    readonly policy: CheckPolicy,
    readonly createdAt: number,
  ) {
    this.since = createdAt;
    this.plain = isPlain(policy);
  }

  /** What a probe reports of the check now (its reported outcome must exist). */
  reading(): CheckReading {
    const { check, reported, checkedAt, streak } = this;
    return this.plain
      ? { check, outcome: reported!, time: checkedAt }
      : { check, outcome: reported!, time: checkedAt, streak };
  }

  /** A copy for `HeartbeatService.state()`: names as bodies show them, counts instead of the signed streak. */
  health(): CheckHealth {
    const { check, policy, reported, streak } = this;
    const known = {
      name: checkName(check.name),
      source: checkName(check.source),
      critical: isCritical(check),
      mode: policy.intervalMs > 0 ? ('background' as const) : ('request' as const),
      intervalMs: policy.intervalMs,
      failureThreshold: policy.failureThreshold,
      successThreshold: policy.successThreshold,
    };
    if (reported === null) {
      return {
        ...known,
        status: null,
        degraded: false,
        data: {},
        durationMs: null,
        checkedAt: null,
        since: null,
        consecutiveFailures: 0,
        consecutiveSuccesses: 0,
        lastResult: null,
        stale: false,
      };
    }
    return {
      ...known,
      status: reported.status,
      degraded: isDegraded(reported, known.critical),
      ...(reported.reason === undefined ? {} : { reason: reported.reason }),
      data: reported.data,
      durationMs: this.durationMs,
      checkedAt: this.checkedAt,
      since: this.since,
      consecutiveFailures: streak < 0 ? -streak : 0,
      consecutiveSuccesses: streak > 0 ? streak : 0,
      lastResult: this.raw,
      stale: this.stale,
    };
  }
}
