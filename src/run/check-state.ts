import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { PendingCall } from './pending-call.js';
import { type CheckPolicy, isPlain } from './check-policy.js';
import { isEmpty } from '../util/text.js';
import { type CheckOutcome, normalizeFor } from './probe-result.normalizer.js';
import type { ResultStreak } from './tolerance.js';

/**
 * What the runner remembers of one registered check between probes: the call still pending, the
 * cached outcome, and the last outcome, whose identity is kept while the check answers the same.
 */
export class CheckState implements ResultStreak {
  /** Set while a call of the handler has not settled: runs wait for it instead of calling again. */
  pending: PendingCall | null = null;
  /** Set when a pending call was abandoned, for the next call to say so if it times out too. */
  abandoned: string | undefined;
  cached: CheckOutcome | null = null;
  cachedUntil = 0;
  settledAt = 0;
  /** The last outcome recorded (as reported: thresholds applied). */
  last: CheckOutcome | null = null;
  streak = 0;
  against = 0;
  /** Set once a stale background result has been reported to the health state, until the next result. */
  staleReported = false;
  /** The outcomes of a handler that returned nothing, or `true`: made once each. */
  private passedEmpty: CheckOutcome | null = null;
  private passedTrue: CheckOutcome | null = null;
  /** What a background check answers before its first result. */
  placeholder: CheckOutcome | null = null;
  /** Whether the policy is today's default (no background run, no thresholds). */
  readonly plain: boolean;
  /** When this state was made: the check's first run or probe. */
  readonly createdAt = Date.now();

  constructor(
    readonly check: RegisteredCheck,
    readonly policy: CheckPolicy,
  ) {
    this.plain = isPlain(policy);
  }

  /**
   * What a handler's value reports. Nothing and `true`, what most handlers answer, make one outcome
   * object each, once: `remember` then sees the same outcome again without comparing it.
   */
  outcomeOf(value: unknown): CheckOutcome {
    const check = this.check;
    if (check.kind === 'environ') return normalizeFor(check, value);
    if (value === undefined) return (this.passedEmpty ??= normalizeFor(check, value));
    if (value === true) return (this.passedTrue ??= normalizeFor(check, value));
    return normalizeFor(check, value);
  }

  /** Whether the pending call has been pending for `abandonAfterMs` (never when that is 0). */
  overdue(now: number): boolean {
    const { pending, policy } = this;
    return pending !== null && policy.abandonAfterMs > 0 && now - pending.startedAt >= policy.abandonAfterMs;
  }

  /** The cached outcome, while it is fresh at `now`. */
  cachedAt(now: number): CheckOutcome | null {
    return this.cached && now < this.cachedUntil ? this.cached : null;
  }

  /**
   * Remembers a fresh outcome and returns the one to report: the previous outcome object when the
   * fresh one is the same (which lets the service answer its previous response again), cached for
   * `ttlMs` when that is positive.
   */
  remember(fresh: CheckOutcome, ttlMs: number): CheckOutcome {
    const previous = this.last;
    const outcome = previous !== null && (previous === fresh || sameOutcome(previous, fresh)) ? previous : fresh;
    this.last = outcome;
    this.settledAt = Date.now();
    if (ttlMs > 0) {
      this.cached = outcome;
      this.cachedUntil = this.settledAt + ttlMs;
    }
    return outcome;
  }
}

/**
 * Whether two outcomes report the same thing: same name, status and messages, and data with the same
 * keys in the same order holding identical values. Nested objects compare by identity, so data
 * rebuilt on each call (a sanitised copy, a fresh nested object) counts as changed.
 */
export function sameOutcome(a: CheckOutcome, b: CheckOutcome): boolean {
  if (a.name !== b.name || a.status !== b.status || a.reason !== b.reason || a.error !== b.error) return false;
  if (a.indicator?.status !== b.indicator?.status || a.indicator?.statusFirst !== b.indicator?.statusFirst)
    return false;
  if (a.members !== b.members) {
    if (!a.members || !b.members || a.members.length !== b.members.length) return false;
    for (let i = 0; i < a.members.length; i++) if (!sameOutcome(a.members[i], b.members[i])) return false;
  }
  if (isEmpty(a.data) && isEmpty(b.data)) return true;
  const keys = Object.keys(a.data);
  const others = Object.keys(b.data);
  if (keys.length !== others.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== others[i] || a.data[keys[i]] !== b.data[keys[i]]) return false;
  }
  return true;
}
