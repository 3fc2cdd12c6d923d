import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CHECK_ABANDONED, CHECK_TIMED_OUT } from '../heartbeat.messages.js';
import { HealthState } from './health-state.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { type CheckOutcome, failed, thrown, unreadable } from './probe-result.normalizer.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { follow, isThenable } from './thenable.js';
import { CheckState } from './check-state.js';
import { DeferredTimeouts, PendingCall, Waiter } from './pending-call.js';
import { ProbeRun } from './probe-run.js';
import { type CheckPolicy, policyOf } from './check-policy.js';
import { tolerate } from './tolerance.js';
import { lastResult } from './background-result.js';
import { type CheckResult, resultOf } from './check-result.js';

export type { CheckResult } from './check-result.js';

/**
 * Runs the checks of a probe: concurrently, each bounded by its timeout (a race of its pending call
 * against a timer), each handler called at most once at a time, results optionally cached, failures
 * turned into values, and every result written to the health state.
 *
 * The plain version: per check a pending call (`PendingCall`) that the probes asking for it wait
 * for, each until its timeout, and nothing that calls back into the runner but a call settling or
 * a wait timing out. Two pieces of the closure-free machinery it replaced are kept, where the
 * bench showed the README's Fastify target needs them: a run is one `ProbeRun` with one promise,
 * not a promise per check joined by `Promise.all`, and the timers of waits are armed only for
 * those still pending once the microtasks after the run have drained (`DeferredTimeouts`). Their
 * headers say what each saves.
 */
@Injectable()
export class ProbeRunner {
  private readonly states = new WeakMap<RegisteredCheck, CheckState>();
  /** The runs under way, by key: callers that ask for the same key while one runs share it. */
  private readonly inFlight = new Map<string, ProbeRun>();
  private readonly timeouts = new DeferredTimeouts();

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
  ) {}

  /** Runs `checks`; callers that ask for the same `key` while a run is under way share it. Never rejects. */
  run(key: string, checks: readonly RegisteredCheck[]): Promise<readonly CheckResult[]> {
    const shared = this.inFlight.get(key);
    if (shared) return shared.promise;
    const run = new ProbeRun(checks.length);
    const now = Date.now();
    for (let index = 0; index < checks.length; index++) this.runCheck(this.stateOf(checks[index]), run, index, now);
    // No wait ends before this turn does: the run is shared from here until its last result is in.
    if (run.remaining > 0) run.share(this.inFlight, key);
    return run.promise;
  }

  /**
   * Runs `check` now, whatever its mode and cache: the background scheduler's call. Never rejects.
   * @internal
   */
  refresh(check: RegisteredCheck): Promise<CheckResult> {
    const run = new ProbeRun(1);
    this.callOrJoin(this.stateOf(check), run, 0, Date.now());
    return run.promise.then((results) => results[0]);
  }

  /**
   * Looks at a background check's last result, so that a stale one is reported without a probe.
   * @internal
   */
  peek(check: RegisteredCheck): void {
    const state = this.stateOf(check);
    if (state.policy.intervalMs > 0) lastResult(state, Date.now(), this.health);
  }

  /**
   * Whether the check's pending call has been pending for `abandonAfterMs`, so that a new run abandons it.
   * @internal
   */
  isOverdue(check: RegisteredCheck): boolean {
    return this.stateOf(check).overdue(Date.now());
  }

  /**
   * Tells the handler of the check's pending call, if any, to give up: the app is shutting down.
   * @internal
   */
  abortPending(check: RegisteredCheck): void {
    this.states.get(check)?.pending?.abort(0, 'AbortError');
  }

  /**
   * The last outcome `check` reported, `null` before its first: the names a result gave (a tuple's,
   * an indicator's keys), for a one-check route to find without running anything.
   * @internal
   */
  lastOutcome(check: RegisteredCheck): CheckOutcome | null {
    return this.states.get(check)?.last ?? null;
  }

  /** The policy of a check (its options, else the module's). */
  policyOf(check: RegisteredCheck): CheckPolicy {
    return this.stateOf(check).policy;
  }

  /** Puts in slot `index` of `run` a background check's last result, the cached one, or a run of the handler. */
  private runCheck(state: CheckState, run: ProbeRun, index: number, now: number): void {
    if (state.policy.intervalMs > 0) return run.put(index, lastResult(state, now, this.health));
    const cached = state.cachedAt(now);
    if (cached) return run.put(index, resultOf(state, cached));
    this.callOrJoin(state, run, index, now);
  }

  /** A fresh synchronous result, or a wait for the pending call of the handler. */
  private callOrJoin(state: CheckState, run: ProbeRun, index: number, now: number): void {
    const joined = this.joinable(state, now);
    const call = joined ?? this.call(state, now);
    if (!(call instanceof PendingCall)) return run.put(index, resultOf(state, call));
    run.remaining++;
    const runningForMs = joined ? now - call.startedAt : undefined;
    call.wait(new Waiter(call, state, run, index, now, runningForMs, this.timedOut), this.timeouts);
  }

  /**
   * The pending call to wait for instead of calling the handler again, unless it has been pending
   * for `abandonAfterMs`: a call that never settles (a promise lost in a driver) would otherwise
   * keep the check failing for good, so it is aborted and a new call starts.
   */
  private joinable(state: CheckState, now: number): PendingCall | null {
    const pending = state.pending;
    if (!pending || !state.overdue(now)) return pending;
    const { abandonAfterMs } = state.policy;
    pending.abort(abandonAfterMs);
    state.pending = null;
    state.abandoned = CHECK_ABANDONED(abandonAfterMs);
    return null;
  }

  /** Calls the handler: its recorded outcome when it returns a value or throws, else its pending call. */
  private call(state: CheckState, now: number): CheckOutcome | PendingCall {
    const check = state.check;
    let controller: AbortController | undefined;
    let value: unknown;
    try {
      // Inside the try: reading `length` of a revoked function Proxy throws too.
      controller = check.handler.length > 0 ? new AbortController() : undefined;
      value = check.handler(controller?.signal as AbortSignal);
    } catch (error) {
      return this.record(state, thrown(check, error, this.showErrors), now);
    }
    let thenable: boolean;
    try {
      thenable = isThenable(value);
    } catch (error) {
      return this.record(state, unreadable(check, error), now);
    }
    if (!thenable) return this.record(state, state.outcomeOf(value), now);
    const call = new PendingCall(now, controller, state.abandoned);
    state.abandoned = undefined;
    state.pending = call;
    void follow(
      value as PromiseLike<unknown>,
      (result) => this.settle(state, call, state.outcomeOf(result)),
      (error) => this.settle(state, call, thrown(check, error, this.showErrors)),
    );
    return call;
  }

  /** Records what a pending call settled to and answers the probes waiting for it, unless none waits any more. */
  private settle(state: CheckState, call: PendingCall, fresh: CheckOutcome): void {
    if (state.pending === call) state.pending = null;
    call.settle(call.waiters > 0 ? this.record(state, fresh, call.startedAt) : null);
  }

  /**
   * The result of a wait whose timeout passed: the handler is told to stop. Probes that waited at
   * once for one call and time out together make one result: a timeout recorded after this wait
   * began is answered again, not recorded twice.
   */
  private readonly timedOut = (waiter: Waiter): CheckResult => {
    const { call, timeoutMs } = waiter;
    // The state the wait was made with (a check's state is made once, never replaced): the waiter
    // holds it by the narrower type pending-call.ts can name without a cycle.
    const state = this.stateOf(waiter.state.check);
    const shared = call.timedOut;
    if (shared && shared.at > waiter.since) return resultOf(state, shared.outcome);
    call.abort(timeoutMs);
    const message = CHECK_TIMED_OUT(state.check.source, timeoutMs, waiter.runningForMs, call.abandonedBefore);
    const outcome = this.record(state, { ...failed(state.check, message), timedOut: true }, call.startedAt);
    call.timedOut = { outcome, at: state.settledAt };
    return resultOf(state, outcome);
  };

  private get showErrors(): boolean {
    return this.options.details === 'always';
  }

  /**
   * Records the raw outcome of a call started at `startedAt`: the thresholds decide what is reported,
   * the check's state keeps that (cached when asked to, and the previous outcome object when it is
   * the same, which lets the responder answer its previous response again) and the health state
   * records it beside the raw result.
   */
  private record(state: CheckState, fresh: CheckOutcome, startedAt: number): CheckOutcome {
    const reported = tolerate(state.last?.status ?? null, fresh, state, state.policy);
    const ttl = state.check.options.cacheTtlMs ?? this.options.cacheTtlMs;
    const outcome = state.remember(reported, ttl);
    state.staleReported = false;
    this.health.record(state.check, outcome, fresh, startedAt, state.settledAt, state.streak);
    return outcome;
  }

  private stateOf(check: RegisteredCheck): CheckState {
    let state = this.states.get(check);
    if (!state) {
      const policy = policyOf(check, this.options);
      state = new CheckState(check, policy);
      this.states.set(check, state);
    }
    return state;
  }
}
