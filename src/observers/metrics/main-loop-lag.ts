/** How often the lag timer ticks: a delay is measured to about this resolution. */
export const LAG_TICK_MS = 250;
/** The length of one window: the gauge reports the longest delay of the current and the previous one. */
export const LAG_WINDOW_MS = 30_000;

/**
 * The longest delay of the main thread's event loop over the last 30 to 60 seconds, in seconds,
 * measured by an unref'd timer that expects to tick every `LAG_TICK_MS`. Two windows, not "since the
 * last scrape": two Prometheus servers scraping one pod read the same value, and a stall that ends
 * between two scrapes is still reported by the next. A loop stuck for good is not measured here: the
 * scrape itself then fails (`up` is 0), and with `thread: true` the worker fails liveness.
 */
export class MainLoopLag {
  private timer: NodeJS.Timeout | undefined;
  private last = 0;
  private windowStart = 0;
  private current = 0;
  private previous = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Starts measuring; the timer does not keep the process alive. */
  start(): void {
    if (this.timer) return;
    this.last = this.windowStart = this.now();
    this.timer = setInterval(() => this.tick(), LAG_TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records the delay of this tick beyond its interval (called by the timer; public for tests). */
  tick(): void {
    const now = this.now();
    this.roll(now);
    this.current = Math.max(this.current, now - this.last - LAG_TICK_MS);
    this.last = now;
  }

  /** The longest delay of the current and the previous window, in seconds. */
  seconds(): number {
    this.roll(this.now());
    return Math.max(0, this.current, this.previous) / 1000;
  }

  private roll(now: number): void {
    if (now - this.windowStart < LAG_WINDOW_MS) return;
    // Two windows or more since the current one began: its delays are older than the previous window.
    this.previous = now - this.windowStart < 2 * LAG_WINDOW_MS ? this.current : 0;
    this.current = 0;
    this.windowStart = now;
  }
}
