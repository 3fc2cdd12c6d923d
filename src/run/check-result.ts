import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { CheckState } from './check-state.js';
import type { CheckOutcome } from './probe-result.normalizer.js';

/** What one check of a probe produced: the check, its outcome and when the outcome was produced. */
export interface CheckResult {
  readonly check: RegisteredCheck;
  readonly outcome: CheckOutcome;
  /** When the outcome was produced (epoch ms); a cached outcome keeps the time it was produced. */
  readonly time: number;
  /**
   * For a check that runs in the background or has thresholds: its raw results in a row with the
   * same status (positive passing, negative failing).
   */
  readonly streak?: number;
}

/** A check's result from its state: the outcome, when it was produced and, unless its policy is plain, its streak. */
export function resultOf(state: CheckState, outcome: CheckOutcome, time = state.settledAt): CheckResult {
  return state.plain
    ? { check: state.check, outcome, time }
    : { check: state.check, outcome, time, streak: state.streak };
}
