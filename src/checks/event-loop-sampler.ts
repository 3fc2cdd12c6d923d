import { createHistogram } from 'node:perf_hooks';

/**
 * The default source of `eventLoopDelayCheck`: an unref'd interval timer that records the time
 * between its ticks (resolution included, as `monitorEventLoopDelay` does). Unlike perf_hooks'
 * histogram, whose `reset()` also forgets the previous tick and so drops the first interval after
 * every reset, `reset()` here only empties the window: a block that starts right after a probe is
 * still measured.
 */
// Shaped as the check's `EventLoopDelaySource` (checked where the check uses it): importing that type
// here would make the two files a cycle.
export class EventLoopSampler {
  private readonly histogram = createHistogram();
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;

  constructor(private readonly resolutionMs: number) {}

  /** Samples taken since the last reset. */
  get count(): number {
    return this.histogram.count;
  }

  /** The given percentile of the samples, in nanoseconds. */
  percentile(percentile: number): number {
    return this.histogram.percentile(percentile);
  }

  /** Starts a new window; the time of the previous tick is kept. */
  reset(): void {
    this.histogram.reset();
  }

  /** Starts sampling; the timer does not keep the process alive. */
  enable(): void {
    if (this.timer) return;
    this.lastTick = performance.now();
    this.timer = setInterval(() => {
      const now = performance.now();
      // A histogram records whole nanoseconds from 1 up.
      this.histogram.record(Math.max(1, Math.round((now - this.lastTick) * 1e6)));
      this.lastTick = now;
    }, this.resolutionMs);
    this.timer.unref();
  }

  /** Stops sampling. */
  disable(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
