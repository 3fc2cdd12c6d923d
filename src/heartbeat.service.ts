import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { registerEnvironBuiltins } from './environ/environ.builtins.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import type { CheckReport, EnvironReport, ProbeKind, ProbeReport } from './interfaces/probe.interface.js';
import { ProbeRegistry, type RegisteredProbe } from './probe.registry.js';
import type { CheckOutcome } from './probe-result.normalizer.js';
import { OUT_OF_ROTATION, SHUTTING_DOWN } from './heartbeat.messages.js';
import { type CheckRun, ProbeRunner } from './probe.runner.js';
import { defineKey, serializeReport } from './report.serializer.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly body: string;
}

/**
 * Produces the probe reports. Controllers, the management port and user code all call it, so every
 * transport answers the same thing.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit {
  private readonly startInventory?: () => Promise<unknown>;
  /** Startup checks that have passed once, with the outcome they passed with. */
  private readonly startedUp = new Map<RegisteredProbe, CheckOutcome>();
  private startupReport: ProbeReport | null = null;
  private shuttingDown = false;
  private outOfRotation: string | null = null;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {
    if (options.environ.enabled) this.startInventory = registerEnvironBuiltins(registry, options);
  }

  /** Starts the library inventory at bootstrap, so the first environ request finds it ready. */
  onModuleInit(): void {
    void this.startInventory?.();
  }

  /**
   * The readiness report: should this instance receive traffic? It fails without running the checks
   * while the instance is shutting down or has been taken out of rotation.
   */
  readiness(): Promise<ProbeReport> {
    if (this.shuttingDown) return Promise.resolve(this.unready('shutdown', SHUTTING_DOWN));
    if (this.outOfRotation !== null)
      return Promise.resolve(this.unready('rotation', OUT_OF_ROTATION(this.outOfRotation)));
    return this.probe('readiness');
  }

  /**
   * The startup report: failing until every startup check has passed once, then passing for good.
   * Checks that have passed are not run again.
   */
  async startup(): Promise<ProbeReport> {
    if (this.startupReport) return this.startupReport;
    const all = this.registry.get('startup');
    const runs = await this.runner.run(
      'startup',
      all.filter((probe) => !this.startedUp.has(probe)),
    );
    const latest = new Map(runs.map((run) => [run.probe, run.outcome]));
    for (const { probe, outcome } of runs) if (outcome.status) this.startedUp.set(probe, outcome);
    const report = this.probeReport(
      all.map((probe) => ({ probe, outcome: this.startedUp.get(probe) ?? latest.get(probe)! })),
    );
    if (report.status) this.startupReport = report;
    return report;
  }

  /** Takes the instance out of rotation (readiness fails with `reason`) until `returnToRotation()`. */
  takeOutOfRotation(reason = 'maintenance'): void {
    this.outOfRotation = reason;
  }

  /** Puts the instance back into rotation after `takeOutOfRotation()`. */
  returnToRotation(): void {
    this.outOfRotation = null;
  }

  /** Whether readiness currently fails because of shutdown or the manual switch. */
  isInRotation(): boolean {
    return !this.shuttingDown && this.outOfRotation === null;
  }

  /** Makes readiness fail from now on; called when the app starts shutting down. */
  markShuttingDown(): void {
    this.shuttingDown = true;
  }

  /** The liveliness (liveness) report: is the process healthy? */
  liveliness(): Promise<ProbeReport> {
    return this.probe('liveliness');
  }

  /** The Kubernetes spelling of `liveliness()`. */
  liveness(): Promise<ProbeReport> {
    return this.probe('liveliness');
  }

  /** The environ report: libraries, Node version and the contributors' data. */
  async environ(): Promise<EnvironReport> {
    const runs = await this.runner.run('environ', this.registry.get('environ'));
    return this.environReport(runs);
  }

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return report.status ? 200 : this.options.failureStatusCode;
  }

  /** The response every transport sends for a probe. */
  async respond(kind: ProbeKind): Promise<ProbeResponse> {
    const report = await this.reportOf(kind);
    return { statusCode: this.statusCodeOf(report), body: serializeReport(report) };
  }

  private reportOf(kind: ProbeKind): Promise<ProbeReport | EnvironReport> {
    switch (kind) {
      case 'readiness':
        return this.readiness();
      case 'liveliness':
        return this.liveliness();
      case 'startup':
        return this.startup();
      case 'environ':
        return this.environ();
    }
  }

  /** A failing readiness report with one check, for the states that fail it without running checks. */
  private unready(name: string, message: string): ProbeReport {
    const check = this.options.details === 'always' ? { status: false, message } : { status: false };
    return { status: false, checks: { [name]: check } };
  }

  private async probe(kind: 'readiness' | 'liveliness'): Promise<ProbeReport> {
    const runs = await this.runner.run(kind, this.registry.get(kind));
    return this.probeReport(runs);
  }

  /**
   * The seed's `{status, checks}`. A name already taken in this report gets the suffix `#2`, `#3`…
   * in registration order, so two results never overwrite each other.
   */
  private probeReport(runs: readonly CheckRun[]): ProbeReport {
    const checks: Record<string, CheckReport> = {};
    let status = true;
    for (const { probe, outcome } of runs) {
      const critical = probe.options.critical !== false;
      if (critical && !outcome.status) status = false;
      let name = outcome.name;
      for (let n = 2; Object.hasOwn(checks, name); n++) name = `${outcome.name}#${n}`;
      const check: CheckReport =
        this.options.details === 'always' ? { status: outcome.status, ...outcome.data } : { status: outcome.status };
      if (!critical) check.critical = false;
      defineKey(checks, name, check);
    }
    return { status, checks };
  }

  /**
   * The contributors' data merged shallowly in registration order (later keys win); `status` is
   * always the aggregate. Contributors that threw, timed out or returned garbage are listed under `errors`.
   */
  private environReport(runs: readonly CheckRun[]): EnvironReport {
    const report = { status: true } as EnvironReport;
    let errors: Record<string, string> | undefined;
    for (const { probe, outcome } of runs) {
      if (!outcome.status) report.status = false;
      if (outcome.error !== undefined) {
        errors ??= {};
        defineKey(errors, probe.source, this.options.details === 'always' ? outcome.error : 'reason withheld');
        continue;
      }
      for (const [key, value] of Object.entries(outcome.data)) defineKey(report, key, value);
    }
    if (errors) report.errors = errors;
    return report;
  }
}
