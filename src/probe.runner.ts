import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { CHECK_NOW_FAILING, CHECK_NOW_PASSING, CHECK_TIMED_OUT } from './heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import {
  type CheckOutcome,
  failed,
  isEmpty,
  normalizeCheck,
  normalizeEnviron,
  thrown,
} from './probe-result.normalizer.js';
import type { RegisteredProbe } from './probe.registry.js';

/** One check of a run: the registered check and what came of it. */
export interface CheckRun {
  readonly probe: RegisteredProbe;
  readonly outcome: CheckOutcome;
  /** When the outcome was produced (epoch ms); a cached outcome keeps the time it was produced. */
  readonly time: number;
}

/** A check of a run whose handler has not settled yet. */
interface Waiting {
  readonly run: Run;
  readonly index: number;
  readonly probe: RegisteredProbe;
  readonly state: CheckState;
  readonly timeoutMs: number;
  readonly deadline: number;
  /** How long the handler's pending call had been running when this run found it (a coalesced call). */
  readonly runningForMs: number | undefined;
}

/** What the runner remembers of one registered check between probes. */
interface CheckState {
  readonly probe: RegisteredProbe;
  /** Set while a call of the handler has not settled: the runs waiting for it, instead of calling again. */
  waiters: Waiting[] | null;
  startedAt: number;
  cached: CheckOutcome | null;
  cachedUntil: number;
  settledAt: number;
  /** The last outcome recorded (its status tells a change of state). */
  last: CheckOutcome | null;
  /** Settle callbacks of a pending call, made once per check rather than once per call. */
  readonly onFulfilled: (value: unknown) => void;
  readonly onRejected: (error: unknown) => void;
}

/** One run of a probe's checks, resolved once every check has settled or timed out. */
class Run {
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
      // The call goes on without this run: it no longer waits for it.
      const waiters = entry.state.waiters;
      const at = waiters ? waiters.indexOf(entry) : -1;
      if (at !== -1) waiters!.splice(at, 1);
      const timedOut = failed(entry.probe, CHECK_TIMED_OUT(entry.probe.source, entry.timeoutMs, entry.runningForMs));
      this.deliver(entry, this.runner.record(entry.state, timedOut));
    }
    this.arm();
  }
}

/**
 * Runs the checks of a probe: concurrently, each bounded by its timeout, each handler called at most
 * once at a time, results optionally cached, failures turned into values and state changes logged.
 */
@Injectable()
export class ProbeRunner {
  private readonly states = new WeakMap<RegisteredProbe, CheckState>();
  private readonly inFlight = new Map<string, Run>();
  /** Runs started in this turn of the event loop with checks still pending, to arm timers for. */
  private unarmed: Run[] = [];

  constructor(@Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions) {}

  /**
   * Runs `probes`; callers that ask for the same `key` while a run is under way share it.
   * The returned promise never rejects.
   */
  run(key: string, probes: readonly RegisteredProbe[]): Promise<readonly CheckRun[]> {
    const running = this.inFlight.get(key);
    if (running) return running.promise;
    const now = Date.now();
    const results: CheckRun[] = new Array<CheckRun>(probes.length);
    let run: Run | null = null;
    for (let index = 0; index < probes.length; index++) {
      const probe = probes[index];
      const state = this.stateOf(probe);
      const busy = state.waiters !== null;
      const outcome = this.start(state, now);
      if (outcome) {
        results[index] = { probe, outcome, time: state.settledAt };
        continue;
      }
      run ??= new Run(this, key, results);
      const timeoutMs = probe.options.timeoutMs ?? this.options.timeoutMs;
      const entry: Waiting = {
        run,
        index,
        probe,
        state,
        timeoutMs,
        deadline: timeoutMs > 0 ? now + timeoutMs : Infinity,
        runningForMs: busy ? now - state.startedAt : undefined,
      };
      run.waiting.push(entry);
      run.remaining++;
      (state.waiters ??= []).push(entry);
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
   * Calls the handler unless a result is cached or a previous call is still pending. Returns the
   * outcome when there is one already, `null` when the caller has to wait for the pending call.
   */
  private start(state: CheckState, now: number): CheckOutcome | null {
    if (state.cached && now < state.cachedUntil) return state.cached;
    if (state.waiters) return null;
    const probe = state.probe;
    let value: unknown;
    let pending: boolean;
    try {
      value = probe.handler();
      pending = isThenable(value);
    } catch (error) {
      return this.record(state, thrown(probe, error));
    }
    if (!pending) return this.record(state, this.normalize(probe, value));
    state.startedAt = now;
    state.waiters = [];
    // Both branches are handled, so a late rejection of a timed-out call is never unhandled. A native
    // promise is followed directly; any other thenable is adopted first, which guards against one
    // that calls back synchronously or twice.
    (value instanceof Promise ? value : Promise.resolve(value)).then(state.onFulfilled, state.onRejected);
    return null;
  }

  /** Records the outcome of a call once and hands it to every run still waiting for it. */
  private deliver(state: CheckState, fresh: CheckOutcome): void {
    const waiters = state.waiters;
    state.waiters = null;
    // Runs that all timed out have left: a late outcome is not recorded, as no probe reported it.
    if (!waiters?.length) return;
    const outcome = this.record(state, fresh);
    for (const entry of waiters) entry.run.deliver(entry, outcome);
  }

  private normalize(probe: RegisteredProbe, value: unknown): CheckOutcome {
    return probe.kind === 'environ' ? normalizeEnviron(probe, value) : normalizeCheck(probe, value);
  }

  /**
   * Records the outcome of a call: caches it when asked to and logs a change of state once. An
   * outcome equal to the previous one is replaced by it, so a check that keeps answering the same
   * keeps one outcome object (which lets the service answer its previous response again).
   */
  record(state: CheckState, fresh: CheckOutcome): CheckOutcome {
    const probe = state.probe;
    const previous = state.last;
    const outcome = previous !== null && (previous === fresh || sameOutcome(previous, fresh)) ? previous : fresh;
    state.last = outcome;
    state.settledAt = Date.now();
    const ttl = probe.options.cacheTtlMs ?? this.options.cacheTtlMs;
    if (ttl > 0) {
      state.cached = outcome;
      state.cachedUntil = state.settledAt + ttl;
    }
    if (outcome.status !== previous?.status) {
      const logger = this.options.logger;
      if (!outcome.status) logger?.warn(CHECK_NOW_FAILING(probe.kind, outcome.name, outcome.reason));
      else if (previous?.status === false) logger?.log(CHECK_NOW_PASSING(probe.kind, outcome.name));
    }
    return outcome;
  }

  private stateOf(probe: RegisteredProbe): CheckState {
    let state = this.states.get(probe);
    if (!state) {
      const created: CheckState = {
        probe,
        waiters: null,
        startedAt: 0,
        cached: null,
        cachedUntil: 0,
        settledAt: 0,
        last: null,
        onFulfilled: (value) => this.deliver(created, this.normalize(probe, value)),
        onRejected: (error) => this.deliver(created, thrown(probe, error)),
      };
      state = created;
      this.states.set(probe, state);
    }
    return state;
  }
}

/**
 * Whether two outcomes report the same thing: same name, status and messages, and data with the same
 * keys in the same order holding identical values. Nested objects compare by identity, so data
 * rebuilt on each call (a sanitised copy, a fresh nested object) counts as changed.
 */
export function sameOutcome(a: CheckOutcome, b: CheckOutcome): boolean {
  if (a.name !== b.name || a.status !== b.status || a.reason !== b.reason || a.error !== b.error) return false;
  if (isEmpty(a.data) && isEmpty(b.data)) return true;
  const keys = Object.keys(a.data);
  const others = Object.keys(b.data);
  if (keys.length !== others.length) return false;
  for (let i = 0; i < keys.length; i++) {
    if (keys[i] !== others[i] || a.data[keys[i]] !== b.data[keys[i]]) return false;
  }
  return true;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
