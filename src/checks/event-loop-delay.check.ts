import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, numberRule, optional, withMethods } from '../options/option-rules.js';
import { EventLoopSampler } from './event-loop-sampler.js';
import { roundTenth } from './measure.js';

/** Options of `eventLoopDelayCheck`. */
export interface EventLoopDelayCheckOptions {
  /** Fail when the delay exceeds this many milliseconds. Default 1000. */
  maxMs?: number;
  /** Which percentile of the delays sampled since the previous run is reported, above 0 and at most 100. Default 99. */
  percentile?: number;
  /** Sampling interval in whole milliseconds; subtracted from every sample. Default 10. */
  resolutionMs?: number;
  /** Default `event-loop`. */
  name?: string;
  /**
   * The samples to read, each the time between two ticks of a `resolutionMs` timer (as a
   * `monitorEventLoopDelay({ resolution: resolutionMs })` histogram records them). Default: an
   * interval sampler that, unlike perf_hooks' histogram, keeps measuring across each run's reset.
   */
  histogram?: EventLoopDelaySource;
}

/** What the check reads of an event-loop delay histogram (samples in nanoseconds). */
export interface EventLoopDelaySource {
  /** Samples taken since the last reset. */
  readonly count: number;
  /** The given percentile of the samples, in nanoseconds. */
  percentile(percentile: number): number;
  /** Starts a new window. */
  reset(): void;
  /** Starts sampling. */
  enable?(): void;
  /** Stops sampling. */
  disable?(): void;
}

const OWNER = 'eventLoopDelayCheck()';
const KNOWN: readonly (keyof EventLoopDelayCheckOptions)[] = [
  'maxMs',
  'percentile',
  'resolutionMs',
  'name',
  'histogram',
];
const MAX_MS = numberRule(`a number of milliseconds from 0 to ${MAX_TIMER_MS}`, { from: 0, to: MAX_TIMER_MS });
const PERCENTILE = numberRule('a number above 0 and at most 100', { above: 0, to: 100 });
const RESOLUTION = numberRule(`a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`, {
  from: 1,
  to: MAX_TIMER_MS,
  whole: true,
});
const HISTOGRAM = withMethods<EventLoopDelaySource>('a histogram with percentile and reset methods', [
  'percentile',
  'reset',
]);

/**
 * Event-loop delay over the window since the previous run, failing above `maxMs`: the one check
 * that belongs in liveness, since only a restart fixes a loop that stays blocked. A sample is the
 * time between two ticks of a `resolutionMs` timer, so the resolution is subtracted (floor 0): an
 * idle loop reports about 0 ms, not 10. Reports `{ delayMs, maxMs }`.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): HeartbeatCheck {
  const given = readOptions(options, { owner: OWNER, label: 'options', prefix: '', known: KNOWN });
  const maxMs = optional(OWNER, 'maxMs', given.maxMs, MAX_MS) ?? 1000;
  const percentile = optional(OWNER, 'percentile', given.percentile, PERCENTILE) ?? 99;
  const resolutionMs = optional(OWNER, 'resolutionMs', given.resolutionMs, RESOLUTION) ?? 10;
  const name = optional(OWNER, 'name', given.name, CHECK_NAME) ?? 'event-loop';
  const histogram: EventLoopDelaySource =
    optional(OWNER, 'histogram', given.histogram, HISTOGRAM) ?? new EventLoopSampler(resolutionMs);
  histogram.enable?.();
  return {
    name,
    health: { componentType: 'system', observedKey: 'delayMs', observedUnit: 'ms' },
    async run() {
      // With no sample yet (a window shorter than the resolution), the delay is 0.
      const sampledMs = histogram.count > 0 ? histogram.percentile(percentile) / 1e6 : resolutionMs;
      histogram.reset();
      const delayMs = roundTenth(Math.max(0, sampledMs - resolutionMs));
      return { status: delayMs <= maxMs, delayMs, maxMs };
    },
    dispose() {
      histogram.disable?.();
    },
  };
}
