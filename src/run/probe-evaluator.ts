import { Inject, Injectable } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { ProbeRegistry } from '../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { OUT_OF_ROTATION, SHUTTING_DOWN } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { CheckReading } from '../state/check-outcome.js';
import { passes } from '../state/check-policy.js';
import { HealthState } from '../state/health-state.js';
import { ProbeRunner } from './probe.runner.js';
import type { HealthProbe } from '../probe/probe-kinds.js';

/** Why readiness fails without running its checks: the key it is reported under, and the message. */
export interface Blocked {
  readonly key: 'shutdown' | 'rotation';
  readonly message: string;
}

/**
 * Decides what a probe runs: readiness fails without running anything while the instance is
 * shutting down or out of rotation; startup runs only the checks that have not passed yet, and once
 * every critical one has, its result is kept for good; `exclude` and a single check narrow the run.
 */
@Injectable()
export class ProbeEvaluator {
  private shuttingDown = false;
  private outOfRotation: string | null = null;
  private readonly rotation = new Subject<boolean>();
  /**
   * Whether the instance is in rotation, each time shutdown, `takeOutOfRotation` or
   * `returnToRotation` is called (synchronously, so readiness watchers hear of a shutdown before the
   * app closes anything).
   */
  readonly rotation$: Observable<boolean> = this.rotation.asObservable();

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    private readonly state: HealthState,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {}

  takeOutOfRotation(reason: string): void {
    this.outOfRotation = reason;
    this.rotation.next(false);
  }

  returnToRotation(): void {
    this.outOfRotation = null;
    this.rotation.next(this.isInRotation());
  }

  isInRotation(): boolean {
    return !this.shuttingDown && this.outOfRotation === null;
  }

  markShuttingDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.rotation.next(false);
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Whether startup has passed for good. */
  hasStartedUp(): boolean {
    return this.state.startedUp;
  }

  /** Whether bodies carry messages and data (the error text of a throw is decided by the runner). */
  get details(): boolean {
    return this.options.details !== 'never';
  }

  /** Readiness fails without running the checks while shutting down or out of rotation. */
  blocked(kind: ProbeKind): Blocked | null {
    if (kind !== 'readiness') return null;
    if (this.shuttingDown) return { key: 'shutdown', message: SHUTTING_DOWN };
    if (this.outOfRotation !== null) return { key: 'rotation', message: OUT_OF_ROTATION(this.outOfRotation) };
    return null;
  }

  /**
   * Runs the checks of a probe, less those named in `exclude` (not applied to startup). For one
   * check (`<probe>/<name>`), only the check registered under exactly that name runs when it is the
   * only one; any other name (`db#2`, a name two checks share, a name only a result gives) runs them
   * all, since its key (`#n`) is given among every check of the probe, as the whole report gives it.
   */
  resultsOf(kind: HealthProbe, exclude?: readonly string[], check?: string): Promise<readonly CheckReading[]> {
    if (kind === 'startup') return this.startupResults();
    const checks = this.registry.get(kind);
    if (check !== undefined) {
      const named = checks.filter((candidate) => candidate.name === check);
      if (named.length === 1) return this.runner.run(named);
    }
    return this.runner.run(exclude?.length ? checks.filter((candidate) => !exclude.includes(candidate.name)) : checks);
  }

  /** Startup runs only the checks that have not passed yet; once every critical one has, it passes for good. */
  private async startupResults(): Promise<readonly CheckReading[]> {
    const all = this.registry.get('startup').map((check) => this.state.recordOf(check));
    // Latched: what each check reported when startup passed (a check registered later has no say).
    if (this.state.startedUp) return all.filter((record) => record.reported !== null).map((record) => record.reading());
    const results = await this.runner.run(all.filter((record) => !record.startedUp).map((record) => record.check));
    for (const result of results) if (result.outcome.status) this.state.recordOf(result.check).startedUp = true;
    const latest = new Map(results.map((result) => [result.check, result]));
    const combined = all.map((record) => latest.get(record.check) ?? record.reading());
    if (passes(combined) && !this.state.startedUp) this.state.latchStartup();
    return combined;
  }
}
