import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { ResultObserver } from '../../state/health-state.js';

/** Bucket bounds of the check duration histograms, in seconds. */
export const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the metrics read at collection time, and the label of each check. */
export interface MetricsSource {
  /** Every health check that has a status, with its labels (`stale`: a background result too old, see HealthState). */
  checks(): { probe: string; check: string; status: boolean; stale: boolean }[];
  /** Every health probe that has a status. */
  probes(): { probe: string; status: boolean; degraded: boolean }[];
  /** Whether readiness may pass: not shutting down, not taken out of rotation. */
  inRotation(): boolean;
  /** The longest delay of the main thread's event loop of late, in seconds (`MainLoopLag`). */
  mainLoopLagSeconds(): number;
  /**
   * The `check` label of a check registered now: its name, with `#2`, `#3`… for a name already taken
   * in its probe (as its report key), among the checks registered now; `undefined` once unregistered.
   */
  label(check: RegisteredCheck): string | undefined;
}

/** The metrics of one backend (Prometheus, OpenTelemetry): recorded on each result, dropped with their check. */
export interface CheckSeries extends ResultObserver {
  /** `check` was unregistered: its series go, and the labels of the checks left may have changed. */
  forget(check: RegisteredCheck): void;
}

/** The metric names of one prefix, in Prometheus (`_`) and OpenTelemetry (`.`) spelling. */
export function metricNames(prefix: string, separator: '_' | '.') {
  const name = (...parts: string[]) => [prefix, ...parts].join(separator);
  return {
    checkStatus: name('check', 'status'),
    checkDuration: separator === '_' ? name('check', 'duration', 'seconds') : name('check', 'duration'),
    checkRuns: separator === '_' ? name('check', 'runs', 'total') : name('check', 'runs'),
    checkTransitions: separator === '_' ? name('check', 'transitions', 'total') : name('check', 'transitions'),
    checkStale: name('check', 'stale'),
    probeStatus: name('probe', 'status'),
    probeDegraded: name('probe', 'degraded'),
    inRotation: `${prefix}${separator}in_rotation`,
    mainLoopLag: separator === '_' ? name('main_loop', 'lag', 'seconds') : name('main_loop', 'lag'),
  };
}

export const HELP = {
  checkStatus: 'Whether a check passes (1) or fails (0), as its probe reports it',
  checkDuration:
    'How long the call behind each result of a check had run, in seconds (to the timeout when it timed out; a call pending from an earlier run counts from its start)',
  checkRuns: 'Results of each check, by result: success, failure or timeout',
  checkTransitions: 'Changes of the reported status of each check, by the status it changed to: passing or failing',
  checkStale:
    'Whether a check fails because its background result is older than staleAfterMs (1: the loop that runs it is stuck), else 0',
  probeStatus: 'Whether a probe passes (1) or fails (0)',
  probeDegraded: 'Whether a probe passes with a degraded check (1): a failing non-critical one, or a degraded result',
  inRotation: 'Whether the instance is in rotation (0 while shutting down or taken out of rotation)',
  mainLoopLag:
    "The longest delay of the main thread's event loop over the last 30 to 60 seconds, in seconds (to about 0.25 s)",
};
