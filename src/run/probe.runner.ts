import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CHECK_ABANDONED, CHECK_TIMED_OUT } from '../heartbeat.messages.js';
import { HealthState } from './health-state.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import {
  type CheckOutcome,
  failed,
  normalizeCheck,
  normalizeEnviron,
  thrown,
  unreadable,
} from './probe-result.normalizer.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { follow, isThenable } from './thenable.js';
import { CheckState } from './check-state.js';
import { DeferredTimeouts, PendingCall } from './pending-call.js';
import { type CheckPolicy, isPlain, policyOf } from './check-policy.js';
import { tolerate } from './tolerance.js';
import { lastResult, resultOf } from './background-result.js';

/** What one check of a probe produced: the check, its outcome and when the outcome was produced. */
export interface CheckResult {
  readonly check: RegisteredCheck;
  readonly outcome: CheckOutcome;
  /** When the outcome was produced (epoch ms); a cached outcome keeps the time it was produced. */
  readonly time: number;
  /**
   * For a check that runs in the background or has thresholds: its raw results in a row with the
   * same status (positive passing, negative failing).
   */
  readonly streak?: number;
}

/**
 * Runs the checks of a probe: concurrently, each bounded by its timeout (a race of its pending call
 * against a timer), each handler called at most once at a time, results optionally cached, failures
 * turned into values, and every result written to the health state.
 *
 * The plain version: a promise per pending call (`PendingCall`) and one per probe waiting for it
 * (`PendingCall.wait`); nothing calls back into the runner. Of the closure-free machinery it
 * replaced (one object per run of a probe, with one timer), only the deferred arming of timeouts is
 * kept, in `pending-call.ts`, where its header says what `npm run bench` measured.
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
    if (!pending) return null;
    const abandonAfterMs = state.check.options.abandonAfterMs ?? this.options.abandonAfterMs;
    if (abandonAfterMs === 0 || now - pending.startedAt < abandonAfterMs) return pending;
    pending.abort(abandonAfterMs);
    state.pending = null;
    state.abandoned = CHECK_ABANDONED(abandonAfterMs);
    return null;
  }

  /** Calls the handler: its recorded outcome when it returns a value or throws, else its pending call. */
  private call(state: CheckState, now: number): CheckOutcome | PendingCall {
    const check = state.check;
    const controller = check.handler.length > 0 ? new AbortController() : undefined;
    let value: unknown;
    try {
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
    if (!thenable) return this.record(state, this.normalize(check, value), now);
    const call = new PendingCall(now, controller, state.abandoned);
    state.abandoned = undefined;
    state.pending = call;
    call.outcome = follow(
      value as PromiseLike<unknown>,
      (result) => this.settle(state, call, this.normalize(check, result)),
      (error) => this.settle(state, call, thrown(check, error, this.showErrors)),
    );
    return call;
  }

  /** Records what a pending call settled to, unless no probe waits for it any more. */
  private settle(state: CheckState, call: PendingCall, fresh: CheckOutcome): CheckOutcome | null {
    if (state.pending === call) state.pending = null;
    return call.waiters > 0 ? this.record(state, fresh, call.startedAt) : null;
  }

  /** Waits for the pending call, at most the check's timeout; on timeout the handler is told to stop. */
  private wait(state: CheckState, call: PendingCall, runningForMs: number | undefined): Promise<CheckResult> {
    const { check, policy } = state;
    const { timeoutMs } = policy;
    return call.wait(
      timeoutMs,
      this.timeouts,
      (outcome) => resultOf(state, outcome),
      () => {
        call.abort(timeoutMs);
        const message = CHECK_TIMED_OUT(check.source, timeoutMs, runningForMs, call.abandonedBefore);
        const outcome: CheckOutcome = { ...failed(check, message), timedOut: true };
        return resultOf(state, this.record(state, outcome, call.startedAt));
      },
    );
  }

  private get showErrors(): boolean {
    return this.options.details === 'always';
  }

  private normalize(check: RegisteredCheck, value: unknown): CheckOutcome {
    return check.kind === 'environ' ? normalizeEnviron(check, value) : normalizeCheck(check, value);
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
      state = new CheckState(check, policy, isPlain(policy));
      this.states.set(check, state);
    }
    return state;
  }
}
