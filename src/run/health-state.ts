import { Inject, Injectable, type LoggerService, type OnApplicationShutdown } from '@nestjs/common';
import { map, type Observable, Subject } from 'rxjs';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { CHECK_NOW_FAILING, CHECK_NOW_PASSING } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { CheckHealth, HealthChange, ProbeHealth } from '../interfaces/health-state.interface.js';
import type { CheckOutcome } from './probe-result.normalizer.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import { policyOf } from './check-policy.js';
import { checkHealth, type Entry, FIRST_RESULT } from './health-entry.js';
import { checkName } from './check-name.js';

/**
 * What hears of every result and every change of a reported status, synchronously, with no
 * allocation of the state's: the metrics, and the worker thread's publishing.
 */
export interface ResultObserver {
  /** A raw result of `check`, whose call ran `durationMs`. */
  result(check: RegisteredCheck, raw: CheckOutcome, durationMs: number): void;
  /** The reported status of `check` changed (not its first result). */
  transition(check: RegisteredCheck, status: boolean): void;
  /** What is reported of `check` changed (its first result included): its status, message or data. */
  changed?(check: RegisteredCheck): void;
}

/** A change of a check's status, with the outcome that made it (the log needs its log-only reason). */
interface Transition {
  readonly check: RegisteredCheck;
  readonly outcome: CheckOutcome;
  readonly previous: boolean | null;
  readonly time: number;
}

/**
 * The health state: the runner writes each check's results here, and everything else reads it.
 * Per check it keeps the status, last result, duration, when it was checked, since when it has been
 * in its state and its run of consecutive failures; each change of status is published on
 * `changes$`. The state-change log is one subscriber of those changes.
 */
@Injectable()
export class HealthState implements OnApplicationShutdown {
  private readonly entries = new WeakMap<RegisteredCheck, Entry>();
  private readonly transitions = new Subject<Transition>();
  private readonly observers: ResultObserver[] = [];
  /** Every change of a check's status, its first result included. */
  readonly changes$: Observable<HealthChange> = this.transitions.pipe(map(toChange));

  constructor(@Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions) {
    const logger = options.logger;
    if (logger) this.transitions.subscribe((transition) => logTransition(logger, transition));
  }

  /**
   * Records a result of `check` produced at `time` by a call started at `startedAt`: `outcome` as
   * reported (thresholds applied), `raw` as the handler produced it, `streak` its run of raw results.
   */
  record(
    check: RegisteredCheck,
    outcome: CheckOutcome,
    raw: CheckOutcome,
    startedAt: number,
    time: number,
    streak: number,
  ): void {
    const entry = this.entryOf(check, time);
    entry.durationMs = Math.max(0, time - startedAt);
    entry.checkedAt = time;
    entry.streak = streak;
    const last = entry.lastResult;
    // Kept while it says the same: a passing check records three of these per probe of three.
    if (last === null || last.status !== raw.status || last.reason !== raw.reason) {
      entry.lastResult = Object.freeze(
        raw.reason === undefined ? { status: raw.status } : { status: raw.status, reason: raw.reason },
      );
    }
    entry.stale = false;
    for (const observer of this.observers) observer.result(check, raw, entry.durationMs);
    this.write(check, entry, outcome, time);
  }

  /**
   * Adds an observer of every result and reported change; returns a function that removes it.
   * @internal
   */
  observe(observer: ResultObserver): () => void {
    this.observers.push(observer);
    return () => {
      const at = this.observers.indexOf(observer);
      if (at !== -1) this.observers.splice(at, 1);
    };
  }

  /** Records that a background check's last result has gone stale: it now fails, its last result unchanged. */
  markStale(check: RegisteredCheck, outcome: CheckOutcome): void {
    const time = Date.now();
    const entry = this.entryOf(check, time);
    entry.stale = true;
    this.write(check, entry, outcome, time);
  }

  private entryOf(check: RegisteredCheck, time: number): Entry {
    let entry = this.entries.get(check);
    if (!entry) {
      entry = { ...FIRST_RESULT, since: time };
      this.entries.set(check, entry);
    }
    return entry;
  }

  /** Writes the reported status and publishes a change of it. */
  private write(check: RegisteredCheck, entry: Entry, outcome: CheckOutcome, time: number): void {
    const previous = entry.status;
    // A result that says the same again is the same outcome object (`CheckState.remember`).
    const changed = entry.reported !== outcome;
    entry.reported = outcome;
    entry.status = outcome.status;
    entry.reason = outcome.reason;
    entry.data = outcome.data;
    if (changed) for (const observer of this.observers) observer.changed?.(check);
    if (previous === outcome.status) return;
    if (previous !== null) for (const observer of this.observers) observer.transition(check, outcome.status);
    entry.since = time;
    this.transitions.next({ check, outcome, previous, time });
  }

  /** What is known of `check` now (a copy). */
  check(check: RegisteredCheck): CheckHealth {
    return checkHealth(check, this.entries.get(check), policyOf(check, this.options));
  }

  /** What is known of a probe of `checks`: `false` if a critical one fails, else `null` if one has not run, else `true`. */
  probe(checks: readonly RegisteredCheck[]): ProbeHealth {
    const healths = checks.map((check) => this.check(check));
    let status: boolean | null = true;
    for (const health of healths) {
      if (!health.critical) continue;
      if (health.status === false) {
        status = false;
        break;
      }
      if (health.status === null) status = null;
    }
    return { status, checks: healths };
  }

  /**
   * Completes `changes$` once the app has shut down: not before, since on Nest 11 the shutdown
   * delay runs in `onModuleDestroy`, while probes (and the log of their changes) still run.
   */
  onApplicationShutdown(): void {
    this.transitions.complete();
  }
}

function toChange({ check, outcome, previous, time }: Transition): HealthChange {
  const change = {
    probe: check.kind,
    check: checkName(check.name),
    source: checkName(check.source),
    status: outcome.status,
    previous,
    time,
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
