import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { MainThreadReading } from '../interfaces/status-pages.interface.js';
import type { ProbeResponse } from '../report/formats/response.js';
import type { ManagementServerLimits } from './probe-http.js';

/*
 * What the app's main thread and the management port's worker thread (`thread: true`) share: the
 * worker's configuration, the messages between them, and the progress marks: when the main loop
 * last turned and how late its turns came, which the main thread writes into shared memory and the
 * worker reads without the main loop's help.
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
  /** The progress marks (`MARKS_BYTES`, written by `ProgressMarks`, read by `mainLoopHealth`), in ms of `threadClock`. */
  readonly marks: SharedArrayBuffer;
  readonly maxStallMs: number;
  readonly maxLagMs: number;
  /** The status code of a probe the worker fails (its format's failure code). */
  readonly failureStatusCode: number;
  /** Whether the status routes (`status`, `history`, `events`) are on: the worker forwards them to the main thread. */
  readonly statusPage: boolean;
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
  | {
      /** A request for a status route; `mainThread`: the main loop as the worker saw it then. */
      readonly type: 'status';
      readonly id: number;
      readonly method: string;
      readonly url: string;
      readonly lastEventId?: string;
      readonly mainThread: MainThreadReading;
    }
  /** The client of the event stream `id` is gone (closed, or dropped for not reading). */
  | { readonly type: 'unsubscribe'; readonly id: number }
  | { readonly type: 'closed' };

/** What the main thread tells the worker. */
export type MainMessage =
  | { readonly type: 'publish'; readonly kind: ProbeKind; readonly response: ProbeResponse }
  | { readonly type: 'state'; readonly shuttingDown: boolean }
  | { readonly type: 'answer'; readonly id: number; readonly response: ProbeResponse; readonly allow?: string }
  /** The whole answer to the status request `id`, with its headers. */
  | {
      readonly type: 'reply';
      readonly id: number;
      readonly statusCode: number;
      readonly headers: Record<string, string>;
      readonly body: string;
    }
  /** The status request `id` is an event stream: its headers, then its events (`chunk`) until `end`. */
  | { readonly type: 'stream'; readonly id: number; readonly headers: Record<string, string> }
  | { readonly type: 'chunk'; readonly id: number; readonly text: string }
  | { readonly type: 'end'; readonly id: number; readonly destroy: boolean }
  | { readonly type: 'close' };

/** Milliseconds on a clock both threads read alike (each thread's `performance` shares the wall clock's origin). */
export function threadClock(): number {
  return performance.timeOrigin + performance.now();
}

/** The slots of the progress marks: the time of the last mark, and the longest delay of a mark over the window. */
const LAST_MARK = 0;
const LONGEST_DELAY = 1;
/** The size of the memory the two threads share for the progress marks (two 64-bit slots). */
export const MARKS_BYTES = 16;

/** What the worker knows of the main loop: how long since it last turned, and how late its turns come. */
export interface MainLoopHealth {
  /** Time since the last progress mark. */
  readonly stalledMs: number;
  /** The longest delay of a mark beyond its interval over `LAG_WINDOW_MS`, the current one included. */
  readonly lagMs: number;
}

/**
 * The main thread's side of the progress marks. Each mark writes its time and the longest delay of
 * a mark over `LAG_WINDOW_MS`: the main thread sees how late each of its own marks is, so the worker
 * needs no timer to watch them and costs nothing while idle. The clock is injectable for tests.
 */
export class ProgressMarks {
  private last: number | null = null;
  /** Delays of the marks within the window: [time of the mark, delay]. */
  private readonly delays: [number, number][] = [];

  constructor(
    private readonly marks: BigInt64Array,
    private readonly now: () => number = threadClock,
  ) {}

  /** Writes a progress mark: the main loop has just turned. */
  mark(): void {
    const now = this.now();
    const delay = this.last === null ? 0 : now - this.last - PROGRESS_MARK_INTERVAL_MS;
    this.last = now;
    if (delay > 0) this.delays.push([now, delay]);
    while (this.delays.length && now - this.delays[0][0] > LAG_WINDOW_MS) this.delays.shift();
    let longest = 0;
    for (const [, late] of this.delays) longest = Math.max(longest, late);
    Atomics.store(this.marks, LONGEST_DELAY, BigInt(Math.round(longest)));
    Atomics.store(this.marks, LAST_MARK, BigInt(Math.round(now)));
  }
}

/**
 * The worker's reading of the progress marks at `now`, at once. A late mark counts for
 * `LAG_WINDOW_MS`, or longer while the loop makes no progress (until its next mark, which prunes the
 * window), and the time since the last mark counts as lag too.
 */
export function mainLoopHealth(marks: BigInt64Array, now: number = threadClock()): MainLoopHealth {
  const stalledMs = Math.max(0, Math.round(now - Number(Atomics.load(marks, LAST_MARK))));
  const longest = Number(Atomics.load(marks, LONGEST_DELAY));
  return { stalledMs, lagMs: Math.max(0, stalledMs - PROGRESS_MARK_INTERVAL_MS, longest) };
}
