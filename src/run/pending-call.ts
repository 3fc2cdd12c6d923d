import { CALL_ABORTED, CALL_ABORTED_AT_SHUTDOWN } from '../heartbeat.messages.js';
import type { CheckOutcome } from './probe-result.normalizer.js';

/** A probe's wait for a pending call, racing the call against a timeout. */
interface Race {
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  readonly deadline: number;
  /** Ends the race with the timeout's result. */
  readonly expire: () => void;
}

/**
 * The timeouts of the races started in this turn of the event loop, armed at its end for those still
 * pending then: a cheap async check (an async function that does not wait on I/O) settles within
 * the turn and needs no timer. This is the one optimisation the runner keeps: timing
 * `ProbeRunner.run` of three async checks, one run per turn of the event loop, gave 3.1-3.5 µs per
 * run with it and 3.7-4.6 µs with a timer armed per wait (the closure-free runner it replaced: 2.4-2.8).
 * One per runner.
 */
export class DeferredTimeouts {
  private unarmed: Race[] = [];

  add(race: Race): void {
    if (this.unarmed.push(race) === 1) setImmediate(this.arm);
  }

  private readonly arm = (): void => {
    const races = this.unarmed;
    this.unarmed = [];
    for (const race of races) {
      // Unref'd: a probe's open socket keeps the process alive anyway, and a background run must not.
      if (!race.settled) race.timer = setTimeout(race.expire, Math.max(0, race.deadline - Date.now())).unref();
    }
  };
}

/**
 * A call of a handler that has not settled yet, shared by every probe that asks for the check while
 * it runs. `outcome` resolves to the recorded outcome, or to `null` when no probe still waited for
 * it (every one timed out, or the call was abandoned): a late outcome nobody reported is not recorded.
 */
export class PendingCall {
  /** How many probes still wait for this call; each one that times out leaves. */
  waiters = 0;
  /** Set once the runner follows what the handler returned. */
  outcome!: Promise<CheckOutcome | null>;
  /** The last timeout recorded for this call, and when. */
  timedOut: { readonly outcome: CheckOutcome; readonly at: number } | null = null;

  constructor(
    readonly startedAt: number,
    /** Only for a handler that declares a parameter: it receives `controller.signal`. */
    readonly controller: AbortController | undefined,
    /** Set when the call before this one was abandoned, to say so if this one times out too. */
    readonly abandonedBefore: string | undefined,
  ) {}

  /**
   * Waits for the call, at most `timeoutMs` (0: no limit; the timer is armed by `timeouts`):
   * `settled(outcome)` when it settles first,
   * else `timedOut()` once the timeout passes, after which this wait no longer counts as a waiter.
   */
  wait<R>(
    timeoutMs: number,
    timeouts: DeferredTimeouts,
    settled: (outcome: CheckOutcome) => R,
    timedOut: () => R,
  ): Promise<R> {
    this.waiters++;
    return new Promise<R>((resolve) => {
      const race: Race = {
        settled: false,
        timer: undefined,
        deadline: Date.now() + timeoutMs,
        expire: () => {
          race.settled = true;
          this.waiters--;
          resolve(timedOut());
        },
      };
      if (timeoutMs > 0) timeouts.add(race);
      void this.outcome.then((outcome) => {
        if (race.settled) return;
        race.settled = true;
        clearTimeout(race.timer);
        if (outcome) resolve(settled(outcome));
      });
    });
  }

  /** Tells the handler to give up: its timeout passed, the call was abandoned (a `TimeoutError`), or the app shuts down. */
  abort(timeoutMs: number, name: 'TimeoutError' | 'AbortError' = 'TimeoutError'): void {
    if (this.controller && !this.controller.signal.aborted) {
      const message = name === 'TimeoutError' ? CALL_ABORTED(timeoutMs) : CALL_ABORTED_AT_SHUTDOWN;
      this.controller.abort(new DOMException(message, name));
    }
  }
}
