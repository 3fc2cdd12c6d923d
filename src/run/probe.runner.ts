import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CHECK_ABANDONED, CHECK_TIMED_OUT } from '../heartbeat.messages.js';
import { HealthState } from './health-state.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { type CheckOutcome, failed, normalizeFor, thrown, unreadable } from './probe-result.normalizer.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { follow, isThenable } from './thenable.js';
import { CheckState } from './check-state.js';
import { DeferredTimeouts, PendingCall } from './pending-call.js';
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
 * The plain version: a promise per pending call (`PendingCall`) and one per probe waiting for it
 * (`PendingCall.wait`); nothing calls back into the runner. Of the closure-free machinery it
 * replaced (one object per run of a probe, with one timer), only the deferred arming of timeouts is
 * kept, in `pending-call.ts`, where its header says what it saves. An A/B of the bench's servers
 * puts the plain runner at about 2 µs more server CPU per readiness request of three async checks
 * than the machinery (README, Benchmarks).
 */
@Injectable()
export class ProbeRunner {
  private readonly states = new WeakMap<RegisteredCheck, CheckState>();
  /** The runs under way, by key: callers that ask for the same key while one runs share it. */
  private readonly inFlight = new Map<string, Promise<readonly CheckResult[]>>();
  private readonly timeouts = new DeferredTimeouts();

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
  ) {}

  /** Runs `checks`; callers that ask for the same `key` while a run is under way share it. Never rejects. */
  run(key: string, checks: readonly RegisteredCheck[]): Promise<readonly CheckResult[]> {
    const shared = this.inFlight.get(key);
    if (shared) return shared;
    const now = Date.now();
    const results = checks.map((check) => this.runCheck(this.stateOf(check), now));
    if (!results.some((result) => result instanceof Promise)) return Promise.resolve(results as CheckResult[]);
    const all = Promise.all(results);
    this.inFlight.set(key, all);
    void all.then(() => {
      if (this.inFlight.get(key) === all) this.inFlight.delete(key);
    });
    return all;
  }

  /**
   * Runs `check` now, whatever its mode and cache: the background scheduler's call. Never rejects.
   * @internal
   */
  refresh(check: RegisteredCheck): Promise<CheckResult> {
    return Promise.resolve(this.callOrJoin(this.stateOf(check), Date.now()));
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

  /** The policy of a check (its options, else the module's). */
  policyOf(check: RegisteredCheck): CheckPolicy {
    return this.stateOf(check).policy;
  }

  /** A background check's last result, the cached one, or a run of the handler. */
  private runCheck(state: CheckState, now: number): CheckResult | Promise<CheckResult> {
    if (state.policy.intervalMs > 0) return lastResult(state, now, this.health);
    const cached = state.cachedAt(now);
    if (cached) return resultOf(state, cached);
    return this.callOrJoin(state, now);
  }

  /** A fresh synchronous result, or the wait for the pending call of the handler. */
  private callOrJoin(state: CheckState, now: number): CheckResult | Promise<CheckResult> {
    const joined = this.joinable(state, now);
    const call = joined ?? this.call(state, now);
    if (!(call instanceof PendingCall)) return resultOf(state, call);
    return this.wait(state, call, joined ? now - call.startedAt : undefined);
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
    if (!thenable) return this.record(state, normalizeFor(check, value), now);
    const call = new PendingCall(now, controller, state.abandoned);
    state.abandoned = undefined;
    state.pending = call;
    call.outcome = follow(
      value as PromiseLike<unknown>,
      (result) => this.settle(state, call, normalizeFor(check, result)),
      (error) => this.settle(state, call, thrown(check, error, this.showErrors)),
    );
    return call;
  }

  /** Records what a pending call settled to, unless no probe waits for it any more. */
  private settle(state: CheckState, call: PendingCall, fresh: CheckOutcome): CheckOutcome | null {
    if (state.pending === call) state.pending = null;
    return call.waiters > 0 ? this.record(state, fresh, call.startedAt) : null;
  }

  /**
   * Waits for the pending call, at most the check's timeout; on timeout the handler is told to stop.
   * Probes that waited at once for one call and time out together make one result: a timeout
   * recorded after this wait began is answered again, not recorded twice.
   */
  private wait(state: CheckState, call: PendingCall, runningForMs: number | undefined): Promise<CheckResult> {
    const { check, policy } = state;
    const { timeoutMs } = policy;
    const waitingSince = Date.now();
    return call.wait(
      timeoutMs,
      this.timeouts,
      (outcome) => resultOf(state, outcome),
      () => {
        const shared = call.timedOut;
        if (shared && shared.at > waitingSince) return resultOf(state, shared.outcome);
        call.abort(timeoutMs);
        const message = CHECK_TIMED_OUT(check.source, timeoutMs, runningForMs, call.abandonedBefore);
        const outcome = this.record(state, { ...failed(check, message), timedOut: true }, call.startedAt);
        call.timedOut = { outcome, at: state.settledAt };
        return resultOf(state, outcome);
      },
    );
  }

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
