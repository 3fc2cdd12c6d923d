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

/** A call of a handler that has not settled: every probe that asks for the check meanwhile waits for it. */
interface Flight {
  readonly startedAt: number;
  /** Only for a handler that declares a parameter: it receives `controller.signal`. */
  readonly controller: AbortController | undefined;
  /** The waits not yet ended, each told the reading once the call settles. */
  readonly waits: Set<(reading: CheckReading) => void>;
  /** The timeout recorded for this call, and when: waits that time out together share it. */
  timedOut?: { readonly reading: CheckReading; readonly at: number };
  /** Set when the call before this one was abandoned, to say so if this one times out too. */
  readonly abandonedBefore: string | undefined;
}

/**
 * Runs checks and writes what came of them to the health state: each check's handler called at most
 * once at a time (single flight), each wait bounded by the check's timeout, a call pending for
 * `abandonAfterMs` abandoned, every failure a value. A background check answers its last result,
 * a cached one its cached result.
 */
@Injectable()
export class ProbeRunner {
  private readonly flights = new WeakMap<RegisteredCheck, Flight>();
  private readonly abandoned = new WeakMap<RegisteredCheck, string>();

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly state: HealthState,
  ) {}

  /** What each of `checks` reports now, running those that run on request. Never rejects. */
  run(checks: readonly RegisteredCheck[]): Promise<CheckReading[]> {
    const now = Date.now();
    return Promise.all(checks.map((check) => this.readingOf(this.state.recordOf(check), now)));
  }

  /**
   * Runs `check` now, whatever its mode and cache: the background scheduler's call. Never rejects.
   * @internal
   */
  refresh(check: RegisteredCheck): Promise<CheckReading> {
    return Promise.resolve(this.call(this.state.recordOf(check), Date.now()));
  }

  /**
   * Looks at a background check's last result, so that a stale one is reported without a probe.
   * @internal
   */
  peek(check: RegisteredCheck): void {
    const record = this.state.recordOf(check);
    if (record.policy.intervalMs > 0) lastResult(record, Date.now(), this.state, this.flights.get(check));
  }

  /**
   * Whether the check's call has been pending for `abandonAfterMs`, so that a new run abandons it.
   * @internal
   */
  isOverdue(check: RegisteredCheck): boolean {
    return this.overdue(this.state.recordOf(check), Date.now());
  }

  /**
   * Tells the handler of the check's pending call, if any, to give up: the app is shutting down.
   * @internal
   */
  abortPending(check: RegisteredCheck): void {
    abort(this.flights.get(check), 0, 'AbortError');
  }

  private readingOf(record: CheckRecord, now: number): CheckReading | Promise<CheckReading> {
    if (record.policy.intervalMs > 0) return lastResult(record, now, this.state, this.flights.get(record.check));
    if (record.reported !== null && now < record.cachedUntil) return record.reading();
    return this.call(record, now);
  }

  /** Joins the pending call, or calls the handler: its reading at once when it returns a value or throws. */
  private call(record: CheckRecord, now: number): CheckReading | Promise<CheckReading> {
    const { check } = record;
    let flight = this.flights.get(check);
    const runningForMs = flight && now - flight.startedAt;
    if (flight && this.overdue(record, now)) {
      // A call that never settles (a promise lost in a driver) would keep the check failing for good.
      const { abandonAfterMs } = record.policy;
      abort(flight, abandonAfterMs);
      this.flights.delete(check);
      this.abandoned.set(check, CHECK_ABANDONED(abandonAfterMs));
      flight = undefined;
    }
    if (flight) return this.wait(record, flight, now, runningForMs);
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
      waits: new Set(),
      abandonedBefore: this.abandoned.get(check),
    };
    const settle = (fresh: CheckOutcome) => {
      if (this.flights.get(check) === started) this.flights.delete(check);
      // Nobody is told of a call whose every wait timed out: its timeout is what the state holds.
      if (started.waits.size === 0) return;
      const reading = this.record(record, fresh, now);
      for (const tell of started.waits) tell(reading);
    };
    void adopt(value as PromiseLike<unknown>).then(
      (result) => settle(normalizeFor(check, result)),
      (error: unknown) => settle(thrown(check, error, this.showErrors)),
    );
    this.abandoned.delete(check);
    this.flights.set(check, started);
    return this.wait(record, started, now, undefined);
  }

  /** A probe's wait for `flight`: the reading it records, or the timeout's once `timeoutMs` has passed since `since`. */
  private wait(record: CheckRecord, flight: Flight, since: number, runningForMs: number | undefined) {
    return new Promise<CheckReading>((resolve) => {
      const { timeoutMs } = record.policy;
      if (timeoutMs <= 0) {
        flight.waits.add(resolve);
        return;
      }
      const tell = (reading: CheckReading) => {
        clearTimeout(timer);
        resolve(reading);
      };
      // Unref'd: a probe's open socket keeps the process alive anyway, and a background run must not.
      const timer = setTimeout(
        () => {
          flight.waits.delete(tell);
          resolve(this.timedOut(record, flight, since, runningForMs));
        },
        Math.max(0, since + timeoutMs - Date.now()),
      ).unref();
      flight.waits.add(tell);
    });
  }

  /** The reading of a wait whose timeout passed: the handler is told to stop; waits that time out together share it. */
  private timedOut(record: CheckRecord, flight: Flight, since: number, runningForMs: number | undefined): CheckReading {
    const shared = flight.timedOut;
    if (shared && shared.at > since) return shared.reading;
    const { check, policy } = record;
    abort(flight, policy.timeoutMs);
    const message = CHECK_TIMED_OUT(check.source, policy.timeoutMs, runningForMs, flight.abandonedBefore);
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

  private overdue(record: CheckRecord, now: number): boolean {
    const flight = this.flights.get(record.check);
    const { abandonAfterMs } = record.policy;
    return flight !== undefined && abandonAfterMs > 0 && now - flight.startedAt >= abandonAfterMs;
  }

  private get showErrors(): boolean {
    return this.options.details === 'always';
  }
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
