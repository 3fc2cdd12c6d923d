import type { RegisteredCheck } from '../discovery/probe.registry.js';
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

/**
 * What `resultOf` reads of a check's state (the runner's `CheckState`). Named here rather than
 * imported: the state holds its pending call, whose waiters make results, so an import would close a cycle.
 */
export interface ResultSource {
  readonly check: RegisteredCheck;
  readonly plain: boolean;
  readonly streak: number;
  readonly settledAt: number;
}

/** A check's result from its state: the outcome, when it was produced and, unless its policy is plain, its streak. */
export function resultOf(state: ResultSource, outcome: CheckOutcome, time = state.settledAt): CheckResult {
  return state.plain
    ? { check: state.check, outcome, time }
    : { check: state.check, outcome, time, streak: state.streak };
}
