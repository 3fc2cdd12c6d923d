import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { CHECK_NOW_FAILING, CHECK_NOW_PASSING, CHECK_TIMED_OUT } from './heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import { type CheckOutcome, failed, normalizeCheck, normalizeEnviron, thrown } from './probe-result.normalizer.js';
import type { RegisteredProbe } from './probe.registry.js';

/** One check of a run: the registered check and what came of it. */
export interface CheckRun {
  readonly probe: RegisteredProbe;
  readonly outcome: CheckOutcome;
}

/** What the runner remembers of one registered check between probes. */
interface CheckState {
  /** Set while a call of the handler has not settled: callers wait for it instead of calling again. */
  waiters: Set<(outcome: CheckOutcome) => void> | null;
  startedAt: number;
  cached: CheckOutcome | null;
  cachedUntil: number;
  lastStatus: boolean | null;
}

/**
 * Runs the checks of a probe: concurrently, each bounded by its timeout, each handler called at most
 * once at a time, results optionally cached, failures turned into values and state changes logged.
 */
@Injectable()
export class ProbeRunner {
  private readonly states = new WeakMap<RegisteredProbe, CheckState>();
  private readonly inFlight = new Map<string, Promise<readonly CheckRun[]>>();

  constructor(@Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions) {}

  /**
   * Runs `probes`; callers that ask for the same `key` while a run is under way share it.
   * The returned promise never rejects.
   */
  run(key: string, probes: readonly RegisteredProbe[]): Promise<readonly CheckRun[]> {
    const running = this.inFlight.get(key);
    if (running) return running;
    const run = Promise.all(
      probes.map((probe) => {
        const outcome = this.runCheck(probe);
        return outcome instanceof Promise ? outcome.then((settled) => ({ probe, outcome: settled })) : { probe, outcome };
      }),
    );
    this.inFlight.set(key, run);
    void run.then(() => this.inFlight.delete(key));
    return run;
  }

  private runCheck(probe: RegisteredProbe): CheckOutcome | Promise<CheckOutcome> {
    const state = this.stateOf(probe);
    const now = Date.now();
    if (state.cached && now < state.cachedUntil) return state.cached;
    if (state.waiters) return this.wait(probe, state, now - state.startedAt);

    let value: unknown;
    let pending: boolean;
    try {
      value = probe.handler();
      pending = isThenable(value);
    } catch (error) {
      return this.settle(probe, state, thrown(probe, error));
    }
    if (!pending) return this.settle(probe, state, this.normalize(probe, value));

    const waiters = new Set<(outcome: CheckOutcome) => void>();
    state.waiters = waiters;
    state.startedAt = now;
    const deliver = (outcome: CheckOutcome) => {
      state.waiters = null;
      for (const waiter of waiters) waiter(outcome);
    };
    // Both branches are handled, so a late rejection of a timed-out call is never unhandled.
    Promise.resolve(value).then(
      (resolved) => deliver(this.normalize(probe, resolved)),
      (error: unknown) => deliver(thrown(probe, error)),
    );
    return this.wait(probe, state);
  }

  /** Waits for the pending call, at most the check's timeout; a late result is simply not awaited. */
  private wait(probe: RegisteredProbe, state: CheckState, runningForMs?: number): Promise<CheckOutcome> {
    const waiters = state.waiters!;
    const timeoutMs = probe.options.timeoutMs ?? this.options.timeoutMs;
    return new Promise<CheckOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter = (outcome: CheckOutcome) => {
        clearTimeout(timer);
        resolve(this.settle(probe, state, outcome));
      };
      waiters.add(waiter);
      if (timeoutMs > 0) {
        timer = setTimeout(() => {
          waiters.delete(waiter);
          resolve(this.settle(probe, state, failed(probe, CHECK_TIMED_OUT(probe.source, timeoutMs, runningForMs))));
        }, timeoutMs);
      }
    });
  }

  private normalize(probe: RegisteredProbe, value: unknown): CheckOutcome {
    return probe.kind === 'environ' ? normalizeEnviron(probe, value) : normalizeCheck(probe, value);
  }

  /** Records the outcome: caches it when asked to and logs a change of state once. */
  private settle(probe: RegisteredProbe, state: CheckState, outcome: CheckOutcome): CheckOutcome {
    const ttl = probe.options.cacheTtlMs ?? this.options.cacheTtlMs;
    if (ttl > 0) {
      state.cached = outcome;
      state.cachedUntil = Date.now() + ttl;
    }
    if (outcome.status !== state.lastStatus) {
      const logger = this.options.logger;
      if (!outcome.status) logger?.warn(CHECK_NOW_FAILING(probe.kind, outcome.name, outcome.reason));
      else if (state.lastStatus === false) logger?.log(CHECK_NOW_PASSING(probe.kind, outcome.name));
      state.lastStatus = outcome.status;
    }
    return outcome;
  }

  private stateOf(probe: RegisteredProbe): CheckState {
    let state = this.states.get(probe);
    if (!state) {
      state = { waiters: null, startedAt: 0, cached: null, cachedUntil: 0, lastStatus: null };
      this.states.set(probe, state);
    }
    return state;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
