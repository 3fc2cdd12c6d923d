import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CHECK_ABANDONED } from '../heartbeat.messages.js';
import { HealthState } from './health-state.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { type CheckOutcome, normalizeCheck, normalizeEnviron, thrown, unreadable } from './probe-result.normalizer.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { follow, isThenable } from './thenable.js';
import { CheckState } from './check-state.js';
import { Call, Run, type Waiting } from './probe-run.js';

/** One check of a run: the registered check and what came of it. */
export interface CheckRun {
  readonly probe: RegisteredCheck;
  readonly outcome: CheckOutcome;
  /** When the outcome was produced (epoch ms); a cached outcome keeps the time it was produced. */
  readonly time: number;
}

/**
 * Runs the checks of a probe: concurrently, each bounded by its timeout, each handler called at most
 * once at a time, results optionally cached, failures turned into values and state changes logged.
 */
@Injectable()
export class ProbeRunner {
  private readonly states = new WeakMap<RegisteredCheck, CheckState>();
  private readonly inFlight = new Map<string, Run>();
  /** Runs started in this turn of the event loop with checks still pending, to arm timers for. */
  private unarmed: Run[] = [];

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
  ) {}

  /**
   * Runs `probes`; callers that ask for the same `key` while a run is under way share it.
   * The returned promise never rejects.
   */
  run(key: string, probes: readonly RegisteredCheck[]): Promise<readonly CheckRun[]> {
    const running = this.inFlight.get(key);
    if (running) return running.promise;
    const now = Date.now();
    const results: CheckRun[] = new Array<CheckRun>(probes.length);
    let run: Run | null = null;
    for (let index = 0; index < probes.length; index++) {
      const probe = probes[index];
      const state = this.stateOf(probe);
      const joined = state.pending;
      const outcome = this.start(state, now);
      if (outcome) {
        results[index] = { probe, outcome, time: state.settledAt };
        continue;
      }
      const call = state.pending!;
      run ??= new Run(this, key, results);
      const timeoutMs = probe.options.timeoutMs ?? this.options.timeoutMs;
      const entry: Waiting = {
        run,
        index,
        probe,
        state,
        call,
        timeoutMs,
        deadline: timeoutMs > 0 ? now + timeoutMs : Infinity,
        runningForMs: joined === call ? now - call.startedAt : undefined,
      };
      run.waiting.push(entry);
      run.remaining++;
      call.waiters.push(entry);
    }
    if (!run) return Promise.resolve(results);
    this.inFlight.set(key, run);
    // Cheap async checks (an async function that does not wait on I/O) settle in this turn and need
    // no timer: timers are armed at the end of the turn, for the runs that are still pending then.
    if (this.unarmed.push(run) === 1) setImmediate(this.armPending);
    return run.promise;
  }

  private readonly armPending = (): void => {
    const runs = this.unarmed;
    this.unarmed = [];
    for (const run of runs) run.arm();
  };

  /** Called by a run once all its checks have settled. */
  finished(run: Run): void {
    if (this.inFlight.get(run.key) === run) this.inFlight.delete(run.key);
  }

  /**
   * Calls the handler unless a result is cached or a previous call is still pending (and not yet
   * abandoned). Returns the outcome when there is one already, `null` when the caller has to wait
   * for `state.pending`. Never throws, whatever the handler throws or returns.
   */
  private start(state: CheckState, now: number): CheckOutcome | null {
    const cached = state.cachedAt(now);
    if (cached) return cached;
    const probe = state.probe;
    let abandonedBefore: string | undefined;
    if (state.pending) {
      const abandonAfterMs = probe.options.abandonAfterMs ?? this.options.abandonAfterMs;
      if (abandonAfterMs === 0 || now - state.pending.startedAt < abandonAfterMs) return null;
      // A call that never settles (a promise lost in a driver) would keep the check failing for good.
      state.pending.abort(abandonAfterMs);
      abandonedBefore = CHECK_ABANDONED(abandonAfterMs);
      state.pending = null;
    }
    const controller = probe.handler.length > 0 ? new AbortController() : undefined;
    let value: unknown;
    try {
      value = probe.handler(controller?.signal as AbortSignal);
    } catch (error) {
      return this.record(state, thrown(probe, error, this.showErrors), now);
    }
    let thenable: boolean;
    try {
      thenable = isThenable(value);
    } catch (error) {
      return this.record(state, unreadable(probe, error), now);
    }
    if (!thenable) return this.record(state, this.normalize(probe, value), now);
    const call = new Call(this, state, now, controller);
    call.abandonedBefore = abandonedBefore;
    state.pending = call;
    follow(value as PromiseLike<unknown>, call.onFulfilled, call.onRejected);
    return null;
  }

  /** Records the outcome of a call once and hands it to every run still waiting for it. */
  settle(call: Call, value: unknown, rejected: boolean): void {
    const state = call.state;
    if (state.pending === call) state.pending = null;
    // Runs that all timed out have left (and an abandoned call has none): a late outcome is not
    // recorded, as no probe reported it.
    if (call.waiters.length === 0) return;
    const probe = state.probe;
    const fresh = rejected ? thrown(probe, value, this.showErrors) : this.normalize(probe, value);
    const outcome = this.record(state, fresh, call.startedAt);
    for (const entry of call.waiters.splice(0)) entry.run.deliver(entry, outcome);
  }

  private get showErrors(): boolean {
    return this.options.details === 'always';
  }

  private normalize(probe: RegisteredCheck, value: unknown): CheckOutcome {
    return probe.kind === 'environ' ? normalizeEnviron(probe, value) : normalizeCheck(probe, value);
  }

  /**
   * Records the outcome of a call started at `startedAt`: caches it when asked to and writes it to
   * the health state (which publishes and logs a change of status). An outcome equal to the
   * previous one is replaced by it, so a check that keeps answering the same keeps one outcome
   * object (which lets the service answer its previous response again).
   */
  record(state: CheckState, fresh: CheckOutcome, startedAt: number): CheckOutcome {
    const ttl = state.probe.options.cacheTtlMs ?? this.options.cacheTtlMs;
    const outcome = state.remember(fresh, ttl);
    this.health.record(state.probe, outcome, startedAt, state.settledAt);
    return outcome;
  }

  private stateOf(probe: RegisteredCheck): CheckState {
    let state = this.states.get(probe);
    if (!state) {
      state = new CheckState(probe);
      this.states.set(probe, state);
    }
    return state;
  }
}
