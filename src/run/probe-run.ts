import { CALL_ABORTED, CHECK_TIMED_OUT } from '../heartbeat.messages.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { CheckState } from './check-state.js';
import { type CheckOutcome, failed } from './probe-result.normalizer.js';
import type { CheckRun, ProbeRunner } from './probe.runner.js';

/*
 * The scheduling pieces of the runner: a pending call of a handler (shared by every run that waits
 * for it), and a run of a probe's checks with its single timer for the earliest deadline.
 */

/** A check of a run whose handler has not settled yet. */
export interface Waiting {
  readonly run: Run;
  readonly index: number;
  readonly probe: RegisteredCheck;
  readonly state: CheckState;
  /** The call of the handler this run waits for. */
  readonly call: Call;
  readonly timeoutMs: number;
  readonly deadline: number;
  /** How long the handler's pending call had been running when this run found it (a coalesced call). */
  readonly runningForMs: number | undefined;
}

/**
 * One pending call of a handler. Its settle callbacks are its own, so a call abandoned after
 * `abandonAfterMs` that settles later cannot hand its outcome to the call that replaced it.
 */
export class Call {
  /** The runs waiting for this call; emptied as each of them times out. */
  readonly waiters: Waiting[] = [];
  /** Set when a call before this one was abandoned, to say so if this one times out too. */
  abandonedBefore: string | undefined;

  constructor(
    private readonly runner: ProbeRunner,
    readonly state: CheckState,
    readonly startedAt: number,
    /** Only for a handler that declares a parameter: it receives `controller.signal`. */
    readonly controller: AbortController | undefined,
  ) {}

  readonly onFulfilled = (value: unknown): void => this.runner.settle(this, value, false);
  readonly onRejected = (error: unknown): void => this.runner.settle(this, error, true);

  /** Tells the handler to give up (its timeout passed, or the call was abandoned). */
  abort(timeoutMs: number): void {
    if (this.controller && !this.controller.signal.aborted) {
      this.controller.abort(new DOMException(CALL_ABORTED(timeoutMs), 'TimeoutError'));
    }
  }
}

/** One run of a probe's checks, resolved once every check has settled or timed out. */
export class Run {
  readonly waiting: Waiting[] = [];
  readonly promise: Promise<readonly CheckRun[]>;
  remaining = 0;
  private resolve!: (runs: readonly CheckRun[]) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly runner: ProbeRunner,
    readonly key: string,
    readonly results: CheckRun[],
  ) {
    this.promise = new Promise((resolve) => (this.resolve = resolve));
  }

  /** Takes the recorded outcome of one of the run's checks. */
  deliver(entry: Waiting, outcome: CheckOutcome): void {
    if (this.results[entry.index]) return;
    this.results[entry.index] = { probe: entry.probe, outcome, time: entry.state.settledAt };
    if (--this.remaining === 0) {
      clearTimeout(this.timer);
      this.runner.finished(this);
      this.resolve(this.results);
    }
  }

  /** Arms the single timer of the run for the earliest deadline still pending. */
  arm(): void {
    if (this.remaining === 0) return;
    let next = Infinity;
    for (const entry of this.waiting) if (!this.results[entry.index] && entry.deadline < next) next = entry.deadline;
    if (next !== Infinity) this.timer = setTimeout(() => this.expire(), Math.max(0, next - Date.now()));
  }

  private expire(): void {
    const now = Date.now();
    for (const entry of this.waiting) {
      if (this.results[entry.index] || entry.deadline > now) continue;
      // The call goes on without this run: it no longer waits for it, and the handler is told to stop.
      const { call } = entry;
      const at = call.waiters.indexOf(entry);
      if (at !== -1) call.waiters.splice(at, 1);
      call.abort(entry.timeoutMs);
      const message = CHECK_TIMED_OUT(entry.probe.source, entry.timeoutMs, entry.runningForMs, call.abandonedBefore);
      const timedOut = failed(entry.probe, message);
      this.deliver(entry, this.runner.record(entry.state, timedOut, call.startedAt));
    }
    this.arm();
  }
}
