import { CALL_ABORTED, CALL_ABORTED_AT_SHUTDOWN } from '../heartbeat.messages.js';
import type { CheckPolicy } from './check-policy.js';
import { type CheckResult, resultOf, type ResultSource } from './check-result.js';
import type { CheckOutcome } from './probe-result.normalizer.js';
import type { ProbeRun } from './probe-run.js';

/**
 * What a wait reads of its check's state: the runner's `CheckState`, which holds the pending call,
 * so importing it here would make the two files a cycle.
 */
export interface WaitedState extends ResultSource {
  readonly policy: CheckPolicy;
}

/**
 * A probe's wait for a pending call: the result goes into slot `index` of its run, from the call's
 * outcome when it settles first, else from `timedOut` once `deadline` passes.
 */
export class Waiter {
  settled = false;
  timer: NodeJS.Timeout | undefined = undefined;
  constructor(
    readonly call: PendingCall,
    readonly state: WaitedState,
    readonly run: ProbeRun,
    readonly index: number,
    /** When the wait began: the run's start. */
    readonly since: number,
    /** How long the call had been pending when this wait joined it (`undefined`: the wait started it). */
    readonly runningForMs: number | undefined,
    /** The result of this wait once its timeout has passed. */
    readonly timedOut: (waiter: Waiter) => CheckResult,
  ) {}

  /** The check's timeout (0: none). */
  get timeoutMs(): number {
    return this.state.policy.timeoutMs;
  }

  get deadline(): number {
    return this.since + this.timeoutMs;
  }
}

/** Ends a wait with its timeout's result (a timer's callback, with the waiter as its argument). */
function expire(waiter: Waiter): void {
  if (waiter.settled) return;
  waiter.settled = true;
  waiter.call.leave();
  waiter.run.deliver(waiter.index, waiter.timedOut(waiter));
}

/** A settled promise whose `then` queues a microtask without the `AsyncResource` of `queueMicrotask`. */
const SETTLED = Promise.resolve();

/**
 * The timeouts of the waits started in this turn of the event loop, armed once the microtasks
 * queued after them have run, for those still pending then: a cheap async check (an async function
 * that does not wait on I/O) settles within those microtasks and needs no timer. One per runner.
 *
 * "Once the microtasks have run": a `process.nextTick` callback queued from a microtask runs after
 * the whole microtask queue has drained, whether the waits began in plain code or in a microtask;
 * the hop is a microtask (a settled promise's `then`, cheaper than `queueMicrotask`, which makes an
 * `AsyncResource` per call), then a tick. In an A/B of the bench's servers, arming with
 * `setImmediate` (which enters the event loop's check phase each turn) cost about 2 µs per readiness
 * request of three async checks more than arming no timer at all; arming a timer per wait costs
 * more than either.
 */
export class DeferredTimeouts {
  private unarmed: Waiter[] = [];

  add(waiter: Waiter): void {
    if (this.unarmed.push(waiter) === 1) void SETTLED.then(this.afterMicrotask);
  }

  private readonly afterMicrotask = (): void => process.nextTick(this.arm);

  private readonly arm = (): void => {
    const waiters = this.unarmed;
    this.unarmed = [];
    for (const waiter of waiters) {
      // Unref'd: a probe's open socket keeps the process alive anyway, and a background run must not.
      if (!waiter.settled) {
        waiter.timer = setTimeout(expire, Math.max(0, waiter.deadline - Date.now()), waiter).unref();
      }
    }
  };
}

/** Ends a wait with the outcome its call settled to, unless it has ended already. */
function answer(waiter: Waiter, outcome: CheckOutcome): void {
  if (waiter.settled) return;
  waiter.settled = true;
  if (waiter.timer !== undefined) clearTimeout(waiter.timer);
  waiter.run.deliver(waiter.index, resultOf(waiter.state, outcome));
}

/**
 * A call of a handler that has not settled yet, shared by every probe that asks for the check while
 * it runs. When it settles, the runner records its outcome and `settle` answers every probe still
 * waiting; once every one has timed out, nothing is recorded (a late outcome nobody reported).
 */
export class PendingCall {
  /** How many probes still wait for this call; each one that times out leaves. */
  waiters = 0;
  /** The last timeout recorded for this call, and when. */
  timedOut: { readonly outcome: CheckOutcome; readonly at: number } | null = null;
  private waiting: Waiter[] = [];

  constructor(
    readonly startedAt: number,
    /** Only for a handler that declares a parameter: it receives `controller.signal`. */
    readonly controller: AbortController | undefined,
    /** Set when the call before this one was abandoned, to say so if this one times out too. */
    readonly abandonedBefore: string | undefined,
  ) {}

  /** Adds a probe's wait, at most `waiter.timeoutMs` (0: no limit; its timer is armed by `timeouts`). */
  wait(waiter: Waiter, timeouts: DeferredTimeouts): void {
    this.waiters++;
    this.waiting.push(waiter);
    if (waiter.timeoutMs > 0) timeouts.add(waiter);
  }

  /** A wait timed out: once none is left, the waits are not kept until the call settles (it may never). */
  leave(): void {
    if (--this.waiters === 0) this.waiting = [];
  }

  /** Answers every probe still waiting with the recorded outcome (`null`: none waits, nothing was recorded). */
  settle(outcome: CheckOutcome | null): void {
    const waiting = this.waiting;
    this.waiting = [];
    if (outcome === null) return;
    for (const waiter of waiting) answer(waiter, outcome);
  }

  /** Tells the handler to give up: its timeout passed, the call was abandoned (a `TimeoutError`), or the app shuts down. */
  abort(timeoutMs: number, name: 'TimeoutError' | 'AbortError' = 'TimeoutError'): void {
    if (this.controller && !this.controller.signal.aborted) {
      const message = name === 'TimeoutError' ? CALL_ABORTED(timeoutMs) : CALL_ABORTED_AT_SHUTDOWN;
      this.controller.abort(new DOMException(message, name));
    }
  }
}
