import { Inject, Injectable } from '@nestjs/common';
import { type Observable, Subject } from 'rxjs';
import { ProbeRegistry, type RegisteredCheck } from '../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { OUT_OF_ROTATION, SHUTTING_DOWN } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { passes } from './check-policy.js';
import { type CheckResult, ProbeRunner } from './probe.runner.js';

/** A probe that reports the health of checks (every probe but environ). */
export type HealthProbe = Exclude<ProbeKind, 'environ'>;

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
  /** Startup checks that have passed once, with the run they passed in. */
  private readonly startedUp = new Map<RegisteredCheck, CheckResult>();
  /** Every startup check's passing run, once all critical ones have passed. */
  private startupLatched: readonly CheckResult[] | null = null;
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
    return this.startupLatched !== null;
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
  resultsOf(kind: HealthProbe, exclude?: readonly string[], check?: string): Promise<readonly CheckResult[]> {
    if (kind === 'startup') return this.startupResults();
    const probes = this.registry.get(kind);
    if (check !== undefined) {
      const named = probes.filter((probe) => probe.name === check);
      if (named.length === 1) return this.runner.run(`${kind}/${check}`, named);
    }
    if (!exclude?.length) return this.runner.run(kind, probes);
    return this.runner.run(
      `${kind}?exclude=${[...exclude].sort().join(',')}`,
      probes.filter((probe) => !exclude.includes(probe.name)),
    );
  }

  /** Startup runs only the checks that have not passed yet; once every critical one has, the result is kept for good. */
  private async startupResults(): Promise<readonly CheckResult[]> {
    if (this.startupLatched) return this.startupLatched;
    const all = this.registry.get('startup');
    const results = await this.runner.run(
      'startup',
      all.filter((check) => !this.startedUp.has(check)),
    );
    const latest = new Map(results.map((result) => [result.check, result]));
    for (const result of results) if (result.outcome.status) this.startedUp.set(result.check, result);
    const combined = all.map((check) => this.startedUp.get(check) ?? latest.get(check)!);
    if (passes(combined)) this.startupLatched = combined;
    return combined;
  }
}
