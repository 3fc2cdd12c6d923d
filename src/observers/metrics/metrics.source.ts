import type { RegisteredCheck } from '../../discovery/probe.registry.js';
import type { CheckOutcome } from '../../state/check-outcome.js';
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

/** One value of a metric; `metricName` names a histogram's bucket, sum or count series. */
export interface Sample {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName?: string;
}

/** The metric names of one prefix, in Prometheus (`_`) and OpenTelemetry (`.`) spelling, in exposition order. */
export function metricNames(prefix: string, separator: '_' | '.') {
  const name = (...parts: string[]) => [prefix, ...parts].join(separator);
  const prometheus = separator === '_';
  return {
    checkStatus: name('check', 'status'),
    checkStale: name('check', 'stale'),
    checkRuns: prometheus ? name('check', 'runs', 'total') : name('check', 'runs'),
    checkTransitions: prometheus ? name('check', 'transitions', 'total') : name('check', 'transitions'),
    checkDuration: prometheus ? name('check', 'duration', 'seconds') : name('check', 'duration'),
    probeStatus: name('probe', 'status'),
    probeDegraded: name('probe', 'degraded'),
    inRotation: `${prefix}${separator}in_rotation`,
    mainLoopLag: prometheus ? name('main_loop', 'lag', 'seconds') : name('main_loop', 'lag'),
  };
}

/** A metric of the module, by its key in `metricNames`. */
export type MetricKey = keyof ReturnType<typeof metricNames>;

export const HELP: Record<MetricKey, string> = {
  checkStatus: 'Whether a check passes (1) or fails (0), as its probe reports it',
  checkStale:
    'Whether a check fails because its background result is older than staleAfterMs (1: the loop that runs it is stuck), else 0',
  checkRuns: 'Results of each check, by result: success, failure or timeout',
  checkTransitions: 'Changes of the reported status of each check, by the status it changed to: passing or failing',
  checkDuration:
    'How long the call behind each result of a check had run, in seconds (to the timeout when it timed out; a call pending from an earlier run counts from its start)',
  probeStatus: 'Whether a probe passes (1) or fails (0)',
  probeDegraded: 'Whether a probe passes with a degraded check (1): a failing non-critical one, or a degraded result',
  inRotation: 'Whether the instance is in rotation (0 while shutting down or taken out of rotation)',
  mainLoopLag:
    "The longest delay of the main thread's event loop over the last 30 to 60 seconds, in seconds (to about 0.25 s)",
};

/** The `result` label of a raw result. */
export function resultOf(raw: CheckOutcome): 'success' | 'failure' | 'timeout' {
  return raw.timedOut ? 'timeout' : raw.status ? 'success' : 'failure';
}

/** The gauges, read from `source` when collected: one definition for both backends. */
export function gauges(source: MetricsSource) {
  const flag = (on: boolean) => (on ? 1 : 0);
  return {
    checkStatus: () =>
      source.checks().map(({ probe, check, status }) => ({ labels: { probe, check }, value: flag(status) })),
    checkStale: () =>
      source.checks().map(({ probe, check, stale }) => ({ labels: { probe, check }, value: flag(stale) })),
    probeStatus: () => source.probes().map(({ probe, status }) => ({ labels: { probe }, value: flag(status) })),
    probeDegraded: () => source.probes().map(({ probe, degraded }) => ({ labels: { probe }, value: flag(degraded) })),
    inRotation: () => [{ labels: {}, value: flag(source.inRotation()) }],
    mainLoopLag: () => [{ labels: {}, value: source.mainLoopLagSeconds() }],
  } satisfies Partial<Record<MetricKey, () => Sample[]>>;
}
