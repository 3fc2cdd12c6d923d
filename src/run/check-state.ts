import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { Call } from './probe-run.js';
import { isEmpty } from './outcome-text.js';
import type { CheckOutcome } from './probe-result.normalizer.js';

/**
 * What the runner remembers of one registered check between probes: the call still pending, the
 * cached outcome, and the last outcome, whose identity is kept while the check answers the same.
 */
export class CheckState {
  /** Set while a call of the handler has not settled: runs wait for it instead of calling again. */
  pending: Call | null = null;
  cached: CheckOutcome | null = null;
  cachedUntil = 0;
  settledAt = 0;
  /** The last outcome recorded. */
  last: CheckOutcome | null = null;

  constructor(readonly probe: RegisteredCheck) {}

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
  if (isEmpty(a.data) && isEmpty(b.data)) return true;
  const keys = Object.keys(a.data);
  const others = Object.keys(b.data);
  if (keys.length !== others.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== others[i] || a.data[keys[i]] !== b.data[keys[i]]) return false;
  }
  return true;
}
