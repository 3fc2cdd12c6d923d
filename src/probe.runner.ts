import { Inject, Injectable } from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { CALL_ABORTED, CHECK_ABANDONED, CHECK_TIMED_OUT } from './heartbeat.messages.js';
import { HealthState } from './health-state.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import {
  type CheckOutcome,
  failed,
  isEmpty,
  normalizeCheck,
  normalizeEnviron,
  thrown,
  unreadable,
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
class Call {
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

/** What the runner remembers of one registered check between probes. */
interface CheckState {
  readonly probe: RegisteredProbe;
  /** Set while a call of the handler has not settled: runs wait for it instead of calling again. */
  pending: Call | null;
  cached: CheckOutcome | null;
  cachedUntil: number;
  settledAt: number;
  /** The last outcome recorded (its status tells a change of state). */
  last: CheckOutcome | null;
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

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
  ) {}

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
    if (state.cached && now < state.cachedUntil) return state.cached;
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

  private normalize(probe: RegisteredProbe, value: unknown): CheckOutcome {
    return probe.kind === 'environ' ? normalizeEnviron(probe, value) : normalizeCheck(probe, value);
  }

  /**
   * Records the outcome of a call started at `startedAt`: caches it when asked to and writes it to
   * the health state (which publishes and logs a change of status). An outcome equal to the
   * previous one is replaced by it, so a check that keeps answering the same keeps one outcome
   * object (which lets the service answer its previous response again).
   */
  record(state: CheckState, fresh: CheckOutcome, startedAt: number): CheckOutcome {
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
    this.health.record(probe, outcome, startedAt, state.settledAt);
    return outcome;
  }

  private stateOf(probe: RegisteredProbe): CheckState {
    let state = this.states.get(probe);
    if (!state) {
      state = { probe, pending: null, cached: null, cachedUntil: 0, settledAt: 0, last: null };
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

/** Reads `then` once; a getter that throws makes the caller's handler count as having thrown. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const promiseThen = Promise.prototype.then;

/**
 * Calls back once with what `value` settles to. A plain native promise (what an async function
 * returns) is followed directly. Anything else (a thenable, a promise whose `then` or `constructor`
 * was replaced, a Proxy) is adopted in a job of its own, where a `then` that throws, calls back
 * synchronously or twice, or never calls back, can only reject, settle once or stay pending.
 */
function follow(value: PromiseLike<unknown>, onFulfilled: (value: unknown) => void, onRejected: (e: unknown) => void) {
  try {
    if (
      Object.getPrototypeOf(value) === Promise.prototype &&
      !Object.hasOwn(value, 'then') &&
      !Object.hasOwn(value, 'constructor')
    ) {
      promiseThen.call(value, onFulfilled, onRejected);
      return;
    }
  } catch {
    // Not a promise after all (a Proxy of one): adopt it below.
  }
  promiseThen.call(
    promiseThen.call(Promise.resolve(), () => value),
    onFulfilled,
    onRejected,
  );
}
