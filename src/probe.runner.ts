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
  /** When the outcome was produced (epoch ms); a cached outcome keeps the time it was produced. */
  readonly time: number;
}

/** Microtask hops a run waits for cheap async checks before it arms its timeout timer. */
const SETTLE_HOPS = 4;

/** A check of a run whose handler has not settled yet. */
interface Waiting {
  readonly index: number;
  readonly probe: RegisteredProbe;
  readonly state: CheckState;
  readonly timeoutMs: number;
  readonly deadline: number;
  readonly runningForMs?: number;
  waiter?: (outcome: CheckOutcome) => void;
}

/** What the runner remembers of one registered check between probes. */
interface CheckState {
  /** Set while a call of the handler has not settled: callers wait for it instead of calling again. */
  waiters: Set<(outcome: CheckOutcome) => void> | null;
  startedAt: number;
  cached: CheckOutcome | null;
  cachedUntil: number;
  settledAt: number;
  /** The last outcome recorded (its status tells a change of state). */
  last: CheckOutcome | null;
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
    const run = this.runAll(probes);
    this.inFlight.set(key, run);
    void run.then(() => this.inFlight.delete(key));
    return run;
  }

  /**
   * Starts every check, then waits for the pending ones under a single timer armed for the
   * earliest deadline (re-armed for later ones), so a run costs one timer whatever its size.
   */
  private runAll(probes: readonly RegisteredProbe[]): Promise<readonly CheckRun[]> {
    const results: CheckRun[] = new Array(probes.length);
    const waiting: Waiting[] = [];
    const now = Date.now();
    for (let index = 0; index < probes.length; index++) {
      const probe = probes[index];
      const started = this.start(probe, now);
      if ('outcome' in started)
        results[index] = { probe, outcome: started.outcome, time: this.stateOf(probe).settledAt };
      else {
        const timeoutMs = probe.options.timeoutMs ?? this.options.timeoutMs;
        waiting.push({
          index,
          probe,
          state: started.state,
          runningForMs: started.runningForMs,
          timeoutMs,
          deadline: timeoutMs > 0 ? now + timeoutMs : Infinity,
        });
      }
    }
    if (waiting.length === 0) return Promise.resolve(results);

    return new Promise((resolve) => {
      let remaining = waiting.length;
      let timer: NodeJS.Timeout | undefined;
      const done = (entry: Waiting, outcome: CheckOutcome) => {
        const settled = this.settle(entry.probe, entry.state, outcome);
        results[entry.index] = { probe: entry.probe, outcome: settled, time: entry.state.settledAt };
        if (--remaining === 0) {
          clearTimeout(timer);
          resolve(results);
        }
      };
      const arm = () => {
        let next = Infinity;
        for (const entry of waiting) if (!results[entry.index] && entry.deadline < next) next = entry.deadline;
        if (next !== Infinity) timer = setTimeout(expire, Math.max(0, next - Date.now()));
      };
      const expire = () => {
        const now = Date.now();
        for (const entry of waiting) {
          if (results[entry.index] || entry.deadline > now) continue;
          entry.state.waiters?.delete(entry.waiter!);
          done(entry, failed(entry.probe, CHECK_TIMED_OUT(entry.probe.source, entry.timeoutMs, entry.runningForMs)));
        }
        if (remaining > 0) arm();
      };
      for (const entry of waiting) {
        entry.waiter = (outcome) => done(entry, outcome);
        entry.state.waiters!.add(entry.waiter);
      }
      // Cheap async checks (an async function that does not wait on I/O) settle within a few
      // microtasks; they need no timer. The timer is armed only for what is still pending after that.
      let hops = SETTLE_HOPS;
      const armIfPending = () => {
        if (remaining === 0) return;
        if (--hops > 0) queueMicrotask(armIfPending);
        else arm();
      };
      queueMicrotask(armIfPending);
    });
  }

  /** Calls the handler unless a result is cached or a previous call is still pending. */
  private start(
    probe: RegisteredProbe,
    now: number,
  ): { outcome: CheckOutcome } | { state: CheckState; runningForMs?: number } {
    const state = this.stateOf(probe);
    if (state.cached && now < state.cachedUntil) return { outcome: state.cached };
    if (state.waiters) return { state, runningForMs: now - state.startedAt };

    let value: unknown;
    let pending: boolean;
    try {
      value = probe.handler();
      pending = isThenable(value);
    } catch (error) {
      return { outcome: this.settle(probe, state, thrown(probe, error)) };
    }
    if (!pending) return { outcome: this.settle(probe, state, this.normalize(probe, value)) };

    const waiters = new Set<(outcome: CheckOutcome) => void>();
    state.waiters = waiters;
    state.startedAt = now;
    const deliver = (outcome: CheckOutcome) => {
      state.waiters = null;
      for (const waiter of waiters) waiter(outcome);
    };
    // Both branches are handled, so a late rejection of a timed-out call is never unhandled. A native
    // promise is followed directly; any other thenable is adopted first, which guards against one
    // that calls back synchronously or twice.
    (value instanceof Promise ? value : Promise.resolve(value)).then(
      (resolved) => deliver(this.normalize(probe, resolved)),
      (error: unknown) => deliver(thrown(probe, error)),
    );
    return { state };
  }

  private normalize(probe: RegisteredProbe, value: unknown): CheckOutcome {
    return probe.kind === 'environ' ? normalizeEnviron(probe, value) : normalizeCheck(probe, value);
  }

  /**
   * Records the outcome: caches it when asked to and logs a change of state once. An outcome equal
   * to the previous one is replaced by it, so a check that keeps answering the same keeps one object.
   */
  private settle(probe: RegisteredProbe, state: CheckState, fresh: CheckOutcome): CheckOutcome {
    const previous = state.last;
    const outcome = previous !== null && sameOutcome(previous, fresh) ? previous : fresh;
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
      state = { waiters: null, startedAt: 0, cached: null, cachedUntil: 0, settledAt: 0, last: null };
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
