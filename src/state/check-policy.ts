import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { CheckReading } from './check-outcome.js';

/** How much the delay between two background runs varies: ±10 % of `intervalMs`. */
export const JITTER = 0.1;

/** When and how a check runs and how its results are reported, from its own options and the module's. */
export interface CheckPolicy {
  /** 0: the check runs on each probe request; else it runs in the background every `intervalMs`. */
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** A call pending this long is abandoned by the next run; 0 never abandons. */
  readonly abandonAfterMs: number;
  /** A background result older than this fails the check (its loop is stuck). */
  readonly staleAfterMs: number;
  /** Results failing in a row before a passing check is reported failing. */
  readonly failureThreshold: number;
  /** Results passing in a row before a failing check is reported passing. */
  readonly successThreshold: number;
}

/**
 * The default staleness bound: two whole cycles at their longest (each a delay of `intervalMs` plus
 * its jitter, then a run that may last the whole timeout). A result that old means at least one run
 * has gone missing, not merely run late.
 */
export function defaultStaleAfterMs(intervalMs: number, timeoutMs: number): number {
  return Math.ceil(2 * (intervalMs * (1 + JITTER) + timeoutMs));
}

/** A non-critical check (`critical: false`) is reported but does not fail its probe. */
export function isCritical(check: RegisteredCheck): boolean {
  return check.options.critical !== false;
}

/** Whether a probe of these readings passes: every critical check passes. */
export function passes(results: readonly CheckReading[]): boolean {
  return results.every(({ check, outcome }) => outcome.status || !isCritical(check));
}

/** The policy of `check`: its options, else the module's. Environ contributors always run on request, counted once. */
export function policyOf(check: RegisteredCheck, options: ResolvedHeartbeatOptions): CheckPolicy {
  const own = check.options;
  const timeoutMs = own.timeoutMs ?? options.timeoutMs;
  const abandonAfterMs = own.abandonAfterMs ?? options.abandonAfterMs;
  if (check.kind === 'environ') {
    return { intervalMs: 0, timeoutMs, abandonAfterMs, staleAfterMs: 0, failureThreshold: 1, successThreshold: 1 };
  }
  // With `thread: true` every check runs in the background: the worker answers, and never runs a check.
  const intervalMs = (options.thread && own.intervalMs === 0 ? undefined : own.intervalMs) ?? options.intervalMs;
  return {
    intervalMs,
    timeoutMs,
    abandonAfterMs,
    staleAfterMs: own.staleAfterMs ?? options.staleAfterMs ?? defaultStaleAfterMs(intervalMs, timeoutMs),
    failureThreshold: own.failureThreshold ?? options.failureThreshold,
    successThreshold: own.successThreshold ?? options.successThreshold,
  };
}

/** Whether the policy is today's default: run on request, each result reported at once. */
export function isPlain(policy: CheckPolicy): boolean {
  return policy.intervalMs === 0 && policy.failureThreshold === 1 && policy.successThreshold === 1;
}
