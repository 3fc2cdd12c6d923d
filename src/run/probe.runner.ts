import { Inject, Injectable } from '@nestjs/common';
import { isPromise } from 'node:util/types';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CALL_ABORTED, CALL_ABORTED_AT_SHUTDOWN, CHECK_ABANDONED, CHECK_TIMED_OUT } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { CheckOutcome, CheckReading } from '../state/check-outcome.js';
import type { CheckRecord } from '../state/check-record.js';
import { HealthState } from '../state/health-state.js';
import { lastResult } from './background-result.js';
import { failed, normalizeFor, thrown, unreadable } from './probe-result.normalizer.js';
import { tolerate } from './thresholds.js';

/**
 * The readings of one run, in the order of its checks: those not known at once are filled in as
 * their waits end, and the run's one promise resolves once the last is in.
 */
class Gather {
  readonly readings: CheckReading[];
  /** How many waits have not ended. */
  pending = 0;
  private resolve: ((readings: CheckReading[]) => void) | undefined;

  constructor(size: number) {
    this.readings = new Array<CheckReading>(size);
  }

  /** The readings once every wait has ended. Called after the waits are added, before any can end. */
  done(): Promise<CheckReading[]> {
    if (this.pending === 0) return Promise.resolve(this.readings);
    return new Promise((resolve) => (this.resolve = resolve));
  }

  /** A wait ended; waits end in a later job at the earliest (a promise's reaction, or a timer). */
  fill(at: number, reading: CheckReading): void {
    this.readings[at] = reading;
    if (--this.pending === 0) this.resolve?.(this.readings);
  }
}

/** A probe's wait for a call: it ends once, when the call settles or when its timeout passes. */
interface Wait {
  readonly gather: Gather;
  /** Its slot in `gather`. */
  readonly at: number;
  readonly record: CheckRecord;
  readonly flight: Flight;
  /** When the wait began; it times out `timeoutMs` after. */
  readonly since: number;
  /** How long the call had been pending when this wait joined it (`undefined`: the wait started it). */
  readonly runningForMs: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

/** A call of a handler that has not settled: every probe that asks for the check meanwhile waits for it. */
interface Flight {
  readonly startedAt: number;
  /** Only for a handler that declares a parameter: it receives `controller.signal`. */
  readonly controller: AbortController | undefined;
  /** The waits not yet ended, each given the reading once the call settles. */
  readonly waits: Wait[];
  /** The timeout recorded for this call, and when: waits that time out together share it. */
  timedOut?: { readonly reading: CheckReading; readonly at: number };
  /** Set when the call before this one was abandoned, to say so if this one times out too. */
  readonly abandonedBefore: string | undefined;
  /** Set once a new run has given up on this call (`abandonAfterMs`); the next call starts afresh. */
  abandoned?: string;
}

/** The check's call in progress, or the abandoned one the next call replaces (the record keeps it for the runner). */
function flightOf(record: CheckRecord): Flight | undefined {
  return record.flight as Flight | undefined;
}

/** The call a new run of the check joins: the one in progress, unless it was abandoned. */
function pendingOf(record: CheckRecord): Flight | undefined {
  const flight = flightOf(record);
  return flight?.abandoned === undefined ? flight : undefined;
}

/**
 * Runs checks and writes what came of them to the health state: each check's handler called at most
 * once at a time (single flight), each wait bounded by the check's timeout, a call pending for
 * `abandonAfterMs` abandoned, every failure a value. A background check answers its last result,
 * a cached one its cached result.
 */
@Injectable()
export class ProbeRunner {
  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly state: HealthState,
  ) {}

  /** What each of `checks` reports now, running those that run on request. Never rejects. */
  run(checks: readonly RegisteredCheck[]): Promise<CheckReading[]> {
    const now = Date.now();
    const gather = new Gather(checks.length);
    for (let at = 0; at < checks.length; at++) {
      const reading = this.readingOf(this.state.recordOf(checks[at]!), now, gather, at);
      if (reading !== undefined) gather.readings[at] = reading;
    }
    return gather.done();
  }

  /**
   * Runs `check` now, whatever its mode and cache: the background scheduler's call. Never rejects.
   * @internal
   */
  async refresh(check: RegisteredCheck): Promise<CheckReading> {
    const gather = new Gather(1);
    const reading = this.call(this.state.recordOf(check), Date.now(), gather, 0);
    return reading ?? (await gather.done())[0]!;
  }

  /**
   * Looks at a background check's last result, so that a stale one is reported without a probe.
   * @internal
   */
  peek(check: RegisteredCheck): void {
    const record = this.state.recordOf(check);
    if (record.policy.intervalMs > 0) lastResult(record, Date.now(), this.state, pendingOf(record));
  }

  /**
   * Whether the check's call has been pending for `abandonAfterMs`, so that a new run abandons it.
   * @internal
   */
  isOverdue(check: RegisteredCheck): boolean {
    const record = this.state.recordOf(check);
    return overdue(record, pendingOf(record), Date.now());
  }

  /**
   * Tells the handler of the check's pending call, if any, to give up: the app is shutting down.
   * @internal
   */
  abortPending(check: RegisteredCheck): void {
    abort(pendingOf(this.state.recordOf(check)), 0, 'AbortError');
  }

  /** The check's reading now, or `undefined` when a wait in slot `at` of `gather` will give it. */
  private readingOf(record: CheckRecord, now: number, gather: Gather, at: number): CheckReading | undefined {
    if (record.policy.intervalMs > 0) return lastResult(record, now, this.state, pendingOf(record));
    if (record.reported !== null && now < record.cachedUntil) return record.reading();
    return this.call(record, now, gather, at);
  }

  /**
   * Joins the pending call, or calls the handler: its reading at once when it returns a value or
   * throws; else `undefined`, and a wait gives the reading to slot `at` of `gather` later.
   */
  private call(record: CheckRecord, now: number, gather: Gather, at: number): CheckReading | undefined {
    const { check } = record;
    const pending = pendingOf(record);
    if (pending && overdue(record, pending, now)) {
      // A call that never settles (a promise lost in a driver) would keep the check failing for good.
      const { abandonAfterMs } = record.policy;
      abort(pending, abandonAfterMs);
      pending.abandoned = CHECK_ABANDONED(abandonAfterMs);
    } else if (pending) {
      return this.wait(record, pending, gather, at, now, now - pending.startedAt);
    }
    let controller: AbortController | undefined;
    let value: unknown;
    try {
      // Inside the try: reading `length` of a revoked function Proxy throws too.
      controller = check.handler.length > 0 ? new AbortController() : undefined;
      value = check.handler(controller?.signal as AbortSignal);
    } catch (error) {
      return this.record(record, thrown(check, error, this.showErrors), now);
    }
    let thenable: boolean;
    try {
      thenable = isThenable(value);
    } catch (error) {
      return this.record(record, unreadable(check, error), now);
    }
    if (!thenable) return this.record(record, normalizeFor(check, value), now);
    const started: Flight = {
      startedAt: now,
      controller,
      waits: [],
      abandonedBefore: flightOf(record)?.abandoned,
    };
    void adopt(value as PromiseLike<unknown>).then(
      (result) => this.settle(record, started, normalizeFor(check, result)),
      (error: unknown) => this.settle(record, started, thrown(check, error, this.showErrors)),
    );
    record.flight = started;
    return this.wait(record, started, gather, at, now, undefined);
  }

  /** The call settled: its waits still open get what it recorded. */
  private settle(record: CheckRecord, flight: Flight, fresh: CheckOutcome): void {
    // An abandoned call stays, to say so if the next one times out too, until a new call replaces it.
    if (record.flight === flight && flight.abandoned === undefined) record.flight = undefined;
    // Nobody is told of a call whose every wait timed out: its timeout is what the state holds.
    if (flight.waits.length === 0) return;
    const reading = this.record(record, fresh, flight.startedAt);
    for (const wait of flight.waits.splice(0)) {
      clearTimeout(wait.timer);
      wait.gather.fill(wait.at, reading);
    }
  }

  /** A probe's wait for `flight`, from `since`: it ends with the reading the call records, or the timeout's. */
  private wait(
    record: CheckRecord,
    flight: Flight,
    gather: Gather,
    at: number,
    since: number,
    runningForMs: number | undefined,
  ): undefined {
    const wait: Wait = { gather, at, record, flight, since, runningForMs, timer: undefined };
    flight.waits.push(wait);
    gather.pending++;
    const { timeoutMs } = record.policy;
    // Unref'd: a probe's open socket keeps the process alive anyway, and a background run must not.
    if (timeoutMs > 0) wait.timer = setTimeout(this.expire, Math.max(0, since + timeoutMs - Date.now()), wait).unref();
  }

  /** A wait's timeout passed before its call settled. */
  private readonly expire = (wait: Wait): void => {
    const { flight, record, since, runningForMs } = wait;
    const index = flight.waits.indexOf(wait);
    if (index === -1) return;
    flight.waits.splice(index, 1);
    wait.gather.fill(wait.at, this.timedOut(record, flight, since, runningForMs));
  };

  /** The reading of a wait whose timeout passed: the handler is told to stop; waits that time out together share it. */
  private timedOut(record: CheckRecord, flight: Flight, since: number, runningForMs: number | undefined): CheckReading {
    const shared = flight.timedOut;
    if (shared && shared.at > since) return shared.reading;
    const { check, policy } = record;
    // When the wait that started the call is due too, the timeout is its own, whichever timer ran first.
    const starterDue = shared === undefined && Date.now() >= flight.startedAt + policy.timeoutMs;
    abort(flight, policy.timeoutMs);
    const message = CHECK_TIMED_OUT(
      check.source,
      policy.timeoutMs,
      starterDue ? undefined : runningForMs,
      flight.abandonedBefore,
    );
    const reading = this.record(record, { ...failed(check, message), timedOut: true }, flight.startedAt);
    flight.timedOut = { reading, at: record.checkedAt };
    return reading;
  }

  /** Applies the thresholds and the cache to a raw outcome of a call started at `startedAt`, and writes it. */
  private record(record: CheckRecord, fresh: CheckOutcome, startedAt: number): CheckReading {
    const reported = tolerate(record.reported?.status ?? null, fresh, record, record.policy);
    const now = Date.now();
    const ttl = record.check.options.cacheTtlMs ?? this.options.cacheTtlMs;
    record.cachedUntil = ttl > 0 ? now + ttl : 0;
    this.state.write(record.check, reported, fresh, startedAt, now);
    return record.reading();
  }

  private get showErrors(): boolean {
    return this.options.details === 'always';
  }
}

/** Whether `flight` has been pending for the check's `abandonAfterMs`. */
function overdue(record: CheckRecord, flight: Flight | undefined, now: number): boolean {
  const { abandonAfterMs } = record.policy;
  return flight !== undefined && abandonAfterMs > 0 && now - flight.startedAt >= abandonAfterMs;
}

/**
 * The promise a handler's thenable settles as. A plain native promise is followed as it is; any
 * other thenable, or a promise given a `then` or `constructor` of its own, is adopted in a job of
 * its own, so that a `then` that throws, calls back twice or never can only reject, settle once or hang.
 */
function adopt(value: PromiseLike<unknown>): Promise<unknown> {
  // `isPromise` reads no property (a Proxy is never one), and a promise with no `then` or
  // `constructor` of its own (the one `then` reads) runs nothing of the value's here.
  if (
    isPromise(value) &&
    Object.getPrototypeOf(value) === Promise.prototype &&
    !Object.hasOwn(value, 'then') &&
    !Object.hasOwn(value, 'constructor')
  )
    return value;
  return Promise.resolve().then(() => value);
}

/** Reads `then` once; a getter that throws makes the handler count as having returned an unreadable value. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Tells a call's handler to give up: its timeout passed or it was abandoned (`TimeoutError`), or the app shuts down. */
function abort(flight: Flight | undefined, timeoutMs: number, name: 'TimeoutError' | 'AbortError' = 'TimeoutError') {
  const controller = flight?.controller;
  if (!controller || controller.signal.aborted) return;
  const message = name === 'TimeoutError' ? CALL_ABORTED(timeoutMs) : CALL_ABORTED_AT_SHUTDOWN;
  controller.abort(new DOMException(message, name));
}
