import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { ProbeResponse } from '../report/probe-responder.js';
import type { ManagementServerLimits } from './probe-http.js';

/*
 * What the app's main thread and the management port's worker thread (`thread: true`) share: the
 * worker's configuration, the messages between them, and the progress marks, a timestamp that the
 * main thread writes into shared memory and the worker reads without the main loop's help.
 */

/** How often the main thread marks progress. A lag is measured to about this resolution. */
export const PROGRESS_MARK_INTERVAL_MS = 50;
/**
 * Readiness reports the longest delay of the main loop seen over this window (or the current one),
 * so a saturated loop, whose marks arrive in bursts, fails readiness steadily instead of flapping
 * with the moment a probe happens to come; it passes again this long after the lag has fallen.
 */
export const LAG_WINDOW_MS = 2_000;

/** The worker's `workerData`. */
export interface WorkerConfig {
  readonly host: string;
  readonly port: number;
  /** The route prefix with its slashes. */
  readonly prefix: string;
  /** The probes the management port serves. */
  readonly served: readonly ProbeKind[];
  readonly limits: ManagementServerLimits;
  /** One `BigInt64Array` slot: the time of the main thread's last progress mark, in ms (`threadClock`). */
  readonly marks: SharedArrayBuffer;
  readonly maxStallMs: number;
  readonly maxLagMs: number;
  /** The status code of a probe the worker fails (its format's failure code). */
  readonly failureStatusCode: number;
}

/** What the worker tells the main thread. */
export type WorkerMessage =
  | { readonly type: 'ready'; readonly host: string; readonly port: number }
  | { readonly type: 'failed'; readonly message: string }
  | {
      readonly type: 'forward';
      readonly id: number;
      readonly method: string;
      readonly url: string;
      readonly accept?: string;
    }
  | { readonly type: 'closed' };

/** What the main thread tells the worker. */
export type MainMessage =
  | { readonly type: 'publish'; readonly kind: ProbeKind; readonly response: ProbeResponse }
  | { readonly type: 'state'; readonly shuttingDown: boolean }
  | { readonly type: 'answer'; readonly id: number; readonly response: ProbeResponse; readonly allow?: string }
  | { readonly type: 'close' };

/** Milliseconds on a clock both threads read alike (each thread's `performance` shares the wall clock's origin). */
export function threadClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Writes a progress mark: the main loop has just turned. */
export function markProgress(marks: BigInt64Array, now: number = threadClock()): void {
  Atomics.store(marks, 0, BigInt(Math.round(now)));
}

/** What the worker knows of the main loop: how long since it last turned, and how late its turns come. */
export interface MainLoopHealth {
  /** Time since the last progress mark. */
  readonly stalledMs: number;
  /** The longest delay of a mark beyond its interval over `LAG_WINDOW_MS`, the current one included. */
  readonly lagMs: number;
}

/**
 * The worker's reading of the progress marks. `sample()` runs on the worker's own timer and records
 * each gap between two marks; `read()` answers at once. The clock is injectable for tests.
 */
export class MainLoopWatch {
  private last: number;
  /** Delays of the marks seen within the window: [time seen, delay]. */
  private readonly delays: [number, number][] = [];

  constructor(
    private readonly marks: BigInt64Array,
    private readonly now: () => number = threadClock,
  ) {
    this.last = this.mark();
  }

  private mark(): number {
    return Number(Atomics.load(this.marks, 0));
  }

  /** Records the delay of a new mark, if one came since the last sample. */
  sample(): void {
    const mark = this.mark();
    if (mark === this.last) return;
    const delay = mark - this.last - PROGRESS_MARK_INTERVAL_MS;
    this.last = mark;
    if (delay > 0) this.delays.push([mark, delay]);
  }

  read(): MainLoopHealth {
    this.sample();
    const now = this.now();
    while (this.delays.length && now - this.delays[0][0] > LAG_WINDOW_MS) this.delays.shift();
    const stalledMs = Math.max(0, Math.round(now - this.last));
    let lagMs = Math.max(0, stalledMs - PROGRESS_MARK_INTERVAL_MS);
    for (const [, delay] of this.delays) lagMs = Math.max(lagMs, delay);
    return { stalledMs, lagMs: Math.round(lagMs) };
  }
}
