import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { roundTenth } from './measure.js';

/** Options of `eventLoopDelayCheck`. */
export interface EventLoopDelayCheckOptions {
  /** Fail when the delay exceeds this many milliseconds. Default 1000. */
  maxMs?: number;
  /** Which percentile of the delays sampled since the previous run is reported. Default 99. */
  percentile?: number;
  /** Sampling resolution of the histogram in milliseconds (subtracted from each reading). Default 10. */
  resolutionMs?: number;
  /** Default `event-loop`. */
  name?: string;
  /**
   * The histogram to read; default a new `monitorEventLoopDelay({ resolution: resolutionMs })`. For
   * tests: its samples are read as Node's are, each including the `resolutionMs` sampling interval.
   */
  histogram?: EventLoopDelaySource;
}

/** What the check reads of a `perf_hooks` event-loop delay histogram (delays in nanoseconds). */
export interface EventLoopDelaySource {
  readonly count: number;
  percentile(percentile: number): number;
  reset(): void;
  enable?(): void;
  disable?(): void;
}

/**
 * Event-loop delay over the window since the previous run (`perf_hooks.monitorEventLoopDelay`),
 * failing above `maxMs`: the one check that belongs in liveness, since only a restart fixes a
 * loop that stays blocked. Reports `{ delayMs, maxMs }`.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): HeartbeatCheck {
  const { maxMs = 1000, percentile = 99, resolutionMs = 10, name = 'event-loop' } = options;
  const histogram: EventLoopDelaySource = options.histogram ?? monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable?.();
  return {
    name,
    health: { componentType: 'system', observedKey: 'delayMs', observedUnit: 'ms' },
    async run() {
      // Each sample is the delay of a `resolutionMs` timer, so it includes that interval: an idle loop
      // reads about resolutionMs + 1. Only what lies beyond it is delay. With no sample yet (a window
      // shorter than the resolution), the delay is 0.
      const sampledMs = histogram.count > 0 ? histogram.percentile(percentile) / 1e6 : resolutionMs;
      const delayMs = roundTenth(Math.max(0, sampledMs - resolutionMs));
      histogram.reset();
      return { status: delayMs <= maxMs, delayMs, maxMs };
    },
    dispose() {
      histogram.disable?.();
    },
  };
}
