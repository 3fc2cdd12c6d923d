import { DURATION_BUCKETS, type Sample } from './metrics.source.js';

/**
 * One check's counts, kept on each result and read when Prometheus scrapes: keyed by the check, not
 * by its labels, which change when a check of the same name is unregistered.
 */
export class CheckCounts {
  readonly runs = { success: 0, failure: 0, timeout: 0 };
  readonly transitions = { passing: 0, failing: 0 };
  /** Per bucket of DURATION_BUCKETS, the durations at most its bound and above the previous one. */
  readonly buckets = new Float64Array(DURATION_BUCKETS.length);
  sum = 0;
  count = 0;

  observe(seconds: number): void {
    const at = DURATION_BUCKETS.findIndex((bound) => seconds <= bound);
    if (at !== -1) this.buckets[at]++;
    this.sum += seconds;
    this.count++;
  }
}

/** The counts of one check registered now, with its labels as they are now. */
export interface LabelledCounts {
  readonly probe: string;
  readonly check: string;
  readonly counts: CheckCounts;
}

/** The runs and transitions counters and the duration histogram, read from `current()` when collected. */
export function counted(durationName: string, current: () => readonly LabelledCounts[]) {
  return {
    checkRuns: () =>
      current().flatMap(({ probe, check, counts: { runs } }) =>
        (['success', 'failure', 'timeout'] as const).map((result) => ({
          labels: { probe, check, result },
          value: runs[result],
        })),
      ),
    checkTransitions: () =>
      current().flatMap(({ probe, check, counts: { transitions } }) =>
        (['passing', 'failing'] as const).map((to) => ({ labels: { probe, check, to }, value: transitions[to] })),
      ),
    checkDuration: () =>
      current().flatMap(({ probe, check, counts: { buckets, sum, count } }) => {
        const bucket = `${durationName}_bucket`;
        let cumulative = 0;
        const values: Sample[] = DURATION_BUCKETS.map((bound, i) => ({
          labels: { le: String(bound), probe, check },
          value: (cumulative += buckets[i]),
          metricName: bucket,
        }));
        values.push({ labels: { le: '+Inf', probe, check }, value: count, metricName: bucket });
        values.push({ labels: { probe, check }, value: sum, metricName: `${durationName}_sum` });
        values.push({ labels: { probe, check }, value: count, metricName: `${durationName}_count` });
        return values;
      }),
  } satisfies Record<string, () => Sample[]>;
}
