import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import { map, type Observable, Subject } from 'rxjs';
import { ProbeRegistry, type RegisteredCheck } from '../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';

import { CHECK_NOW_FAILING, CHECK_NOW_PASSING } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { HealthChange, ProbeHealth } from '../interfaces/health-state.interface.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { checkName } from '../probe/check-name.js';
import { type CheckOutcome, isDegraded, sameOutcome } from './check-outcome.js';
import { isCritical, policyOf } from './check-policy.js';
import { CheckRecord } from './check-record.js';

/** What hears of every result and every change, synchronously: the metrics and the worker thread's publishing. */
export interface ResultObserver {
  /** A raw result of `check`, whose call ran `durationMs`. */
  result?(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void;
  /** The reported status of `check` changed (not its first result). */
  transition?(check: RegisteredCheck, status: boolean): void;
  /** What probes report of `kind` changed: a check's status, message or data, the checks registered, startup. */
  changed?(kind: ProbeKind): void;
}

/** A change of a check's status, with the outcome that made it (the log needs its log-only reason). */
interface Transition {
  readonly check: RegisteredCheck;
  readonly outcome: CheckOutcome;
  readonly previous: boolean | null;
  readonly time: number;
  readonly durationMs: number | null;
}

/**
 * The health state: one `CheckRecord` per registered check, a version per probe that changes
 * whenever what the probe reports may have changed (the serializer's memo is keyed by it), the
 * startup latch, and `changes$`. Only run/ writes it; everything else reads it or subscribes.
 */
@Injectable()
export class HealthState implements OnApplicationShutdown {
  private readonly records = new WeakMap<RegisteredCheck, CheckRecord>();
  private readonly versions: Record<ProbeKind, number> = { readiness: 0, liveliness: 0, startup: 0, environ: 0 };
  private readonly transitions = new Subject<Transition>();
  private readonly observers: ResultObserver[] = [];
  private readonly unwatch: () => void;
  /** Whether every critical startup check has passed once: startup then passes for good. */
  startedUp = false;
  /** Every change of a check's status, its first result included. */
  readonly changes$: Observable<HealthChange> = this.transitions.pipe(map(toChange));

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    registry: ProbeRegistry,
  ) {
    const logger = options.logger;
    if (logger) this.transitions.subscribe((transition) => logTransition(logger, transition));
    this.unwatch = registry.watch((check) => this.bump(check.kind));
  }

  /** The record of `check`, made on first use. */
  recordOf(check: RegisteredCheck): CheckRecord {
    let record = this.records.get(check);
    if (!record) {
      record = new CheckRecord(check, policyOf(check, this.options), Date.now());
      this.records.set(check, record);
    }
    return record;
  }

  /** The version of what `kind` reports: equal versions, equal reports. */
  version(kind: ProbeKind): number {
    return this.versions[kind];
  }

  /**
   * Records a result of `check` produced at `time` by a call started at `startedAt`: `reported` as
   * probes report it (thresholds applied), `raw` as the handler produced it. The runner has updated
   * the record's streaks and cache.
   */
  write(check: RegisteredCheck, reported: CheckOutcome, raw: CheckOutcome, startedAt: number, time: number): void {
    const record = this.recordOf(check);
    record.durationMs = Math.max(0, time - startedAt);
    record.checkedAt = time;
    record.raw = raw.reason === undefined ? { status: raw.status } : { status: raw.status, reason: raw.reason };
    record.stale = false;
    for (const observer of this.observers) observer.result?.(check, raw, record.durationMs);
    this.report(record, reported, time);
  }

  /** Records that a background check's last result has gone stale: it fails from now until its next result. */
  markStale(check: RegisteredCheck, outcome: CheckOutcome): void {
    const record = this.recordOf(check);
    record.stale = true;
    record.against = 0;
    this.report(record, outcome, Date.now());
  }

  /** Latches startup: it passes for good. */
  latchStartup(): void {
    this.startedUp = true;
    this.bump('startup');
  }

  /** What is known of a probe of `checks`: `false` if a critical one fails, else `null` if one has not run, else `true`. */
  probe(checks: readonly RegisteredCheck[]): ProbeHealth {
    const healths = checks.map((check) => this.recordOf(check).health());
    let status: boolean | null = true;
    for (const health of healths) {
      if (!health.critical || status === false) continue;
      if (health.status === false) status = false;
      else if (health.status === null) status = null;
    }
    return { status, degraded: status === true && healths.some((health) => health.degraded), checks: healths };
  }

  /**
   * Adds an observer of every result and change; returns a function that removes it.
   * @internal
   */
  observe(observer: ResultObserver): () => void {
    this.observers.push(observer);
    return () => {
      const at = this.observers.indexOf(observer);
      if (at !== -1) this.observers.splice(at, 1);
    };
  }

  /**
   * Completes `changes$` once the app has shut down: not before, since on Nest 11 the shutdown
   * delay runs in `onModuleDestroy`, while probes (and the log of their changes) still run.
   */
  onApplicationShutdown(): void {
    this.unwatch();
    this.transitions.complete();
  }

  /** Writes what probes report; a change bumps the probe's version, a change of status is published. */
  private report(record: CheckRecord, outcome: CheckOutcome, time: number): void {
    const { check } = record;
    const previous = record.reported;
    record.reported = outcome;
    if (previous !== null && sameOutcome(previous, outcome)) return;
    this.bump(check.kind);
    const critical = isCritical(check);
    if (previous?.status === outcome.status) {
      // Degraded or not is a change too (amber on the status page), though the status holds.
      if (isDegraded(previous, critical) !== isDegraded(outcome, critical))
        this.transitions.next({ check, outcome, previous: previous.status, time, durationMs: this.durationOf(record) });
      return;
    }
    record.since = time;
    if (previous !== null) for (const observer of this.observers) observer.transition?.(check, outcome.status);
    this.transitions.next({
      check,
      outcome,
      previous: previous?.status ?? null,
      time,
      durationMs: this.durationOf(record),
    });
  }

  /** The duration of the call behind what the record reports; none for a stale result. */
  private durationOf(record: CheckRecord): number | null {
    return record.stale ? null : record.durationMs;
  }

  private bump(kind: ProbeKind): void {
    this.versions[kind]++;
    for (const observer of this.observers) observer.changed?.(kind);
  }
}

function toChange({ check, outcome, previous, time, durationMs }: Transition): HealthChange {
  const change = {
    probe: check.kind,
    check: checkName(check.name),
    source: checkName(check.source),
    status: outcome.status,
    degraded: isDegraded(outcome, isCritical(check)),
    previous,
    time,
    durationMs,
  };
  return outcome.reason === undefined ? change : { ...change, reason: outcome.reason };
}

/** The state-change log: a failure each time a check starts failing, a recovery when it passes again. */
function logTransition(logger: LoggerService, { check, outcome, previous }: Transition): void {
  try {
    if (!outcome.status) {
      logger.warn(CHECK_NOW_FAILING(check.kind, outcome.name, outcome.logReason ?? outcome.reason));
    } else if (previous === false) logger.log(CHECK_NOW_PASSING(check.kind, outcome.name));
  } catch {
    // The user's logger failed; the probe's answer does not depend on it.
  }
}
