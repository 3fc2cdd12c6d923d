import { type OnApplicationBootstrap, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { registerEnvironBuiltins } from './environ/environ.builtins.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { NO_SUCH_CHECK, OUT_OF_ROTATION, SHUTTING_DOWN } from './heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import type { EnvironReport, ProbeKind, ProbeReport } from './interfaces/probe.interface.js';
import { ProbeRegistry, type RegisteredProbe } from './probe.registry.js';
import { type CheckRun, ProbeRunner } from './probe.runner.js';
import { type Evaluation, environReport, evaluate, narrow, unready } from './report.builder.js';
import { serializeReport } from './report.serializer.js';
import { CONTENT_TYPES, type ProbeView, renderHealthJson, renderText } from './report.views.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Produces the probe reports. Controllers, the management port and user code all call it, so every
 * transport answers the same thing.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly startInventory?: () => Promise<unknown>;
  /** Startup checks that have passed once, with the run they passed in. */
  private readonly startedUp = new Map<RegisteredProbe, CheckRun>();
  private startupEvaluation: Evaluation | null = null;
  private shuttingDown = false;
  private outOfRotation: string | null = null;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {
    if (options.environ.enabled) this.startInventory = registerEnvironBuiltins(registry, options);
    for (const { kind, check } of options.checks) registry.register(kind, check);
  }

  /** Releases what the configured checks hold (the event-loop histogram). */
  onApplicationShutdown(): void {
    for (const { check } of this.options.checks) check.dispose?.();
  }

  /**
   * Starts the library inventory once the app has bootstrapped (not during it, so it adds nothing
   * to the bootstrap), so that the first environ request usually finds it ready.
   */
  onApplicationBootstrap(): void {
    void this.startInventory?.();
  }

  /**
   * The readiness report: should this instance receive traffic? It fails without running the checks
   * while the instance is shutting down or has been taken out of rotation.
   */
  async readiness(): Promise<ProbeReport> {
    return (await this.evaluate('readiness')).report;
  }

  /** The liveliness (liveness) report: is the process healthy? */
  async liveliness(): Promise<ProbeReport> {
    return (await this.evaluate('liveliness')).report;
  }

  /** The Kubernetes spelling of `liveliness()`. */
  liveness(): Promise<ProbeReport> {
    return this.liveliness();
  }

  /**
   * The startup report: failing until every startup check has passed once, then passing for good.
   * Checks that have passed are not run again.
   */
  async startup(): Promise<ProbeReport> {
    return (await this.evaluate('startup')).report;
  }

  /** The environ report: libraries, Node version and the contributors' data. */
  async environ(): Promise<EnvironReport> {
    const runs = await this.runner.run('environ', this.registry.get('environ'));
    return environReport(runs, this.details);
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

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return report.status ? 200 : this.options.failureStatusCode;
  }

  /** The response every transport sends for a probe, in the view the request asked for. */
  async respond(kind: ProbeKind, view: ProbeView = {}): Promise<ProbeResponse> {
    if (kind === 'environ') {
      const report = await this.environ();
      return { statusCode: this.statusCodeOf(report), contentType: CONTENT_TYPES.json, body: serializeReport(report) };
    }
    let evaluation = await this.evaluate(kind, view.exclude);
    const unknownExcludes = view.exclude?.filter(
      (name) => !this.registry.get(kind).some((probe) => probe.name === name),
    );
    if (view.check !== undefined) {
      const narrowed = narrow(evaluation, view.check);
      if (!narrowed) {
        const body = JSON.stringify({ statusCode: 404, message: NO_SUCH_CHECK(kind, view.check) });
        return { statusCode: 404, contentType: CONTENT_TYPES.json, body };
      }
      evaluation = narrowed;
    }
    const format = view.format ?? 'json';
    const statusCode = this.statusCodeOf(evaluation.report);
    if (format === 'text')
      return { statusCode, contentType: CONTENT_TYPES.text, body: renderText(kind, evaluation, this.details) };
    if (format === 'health+json') {
      return {
        statusCode,
        contentType: CONTENT_TYPES['health+json'],
        body: renderHealthJson(evaluation, this.details, unknownExcludes),
      };
    }
    const report = unknownExcludes?.length ? { ...evaluation.report, unknownExcludes } : evaluation.report;
    return { statusCode, contentType: CONTENT_TYPES.json, body: serializeReport(report) };
  }

  private get details(): boolean {
    return this.options.details === 'always';
  }

  private async evaluate(
    kind: 'readiness' | 'liveliness' | 'startup',
    exclude?: readonly string[],
  ): Promise<Evaluation> {
    if (kind === 'startup') return this.evaluateStartup();
    if (kind === 'readiness' && this.shuttingDown) return unready('shutdown', SHUTTING_DOWN, this.details);
    if (kind === 'readiness' && this.outOfRotation !== null) {
      return unready('rotation', OUT_OF_ROTATION(this.outOfRotation), this.details);
    }
    let probes = this.registry.get(kind);
    let key: string = kind;
    if (exclude?.length) {
      probes = probes.filter((probe) => !exclude.includes(probe.name));
      key = `${kind}?exclude=${[...exclude].sort().join(',')}`;
    }
    return evaluate(await this.runner.run(key, probes), this.details);
  }

  private async evaluateStartup(): Promise<Evaluation> {
    if (this.startupEvaluation) return this.startupEvaluation;
    const all = this.registry.get('startup');
    const runs = await this.runner.run(
      'startup',
      all.filter((probe) => !this.startedUp.has(probe)),
    );
    const latest = new Map(runs.map((run) => [run.probe, run]));
    for (const run of runs) if (run.outcome.status) this.startedUp.set(run.probe, run);
    const evaluation = evaluate(
      all.map((probe) => this.startedUp.get(probe) ?? latest.get(probe)!),
      this.details,
    );
    if (evaluation.report.status) this.startupEvaluation = evaluation;
    return evaluation;
  }
}
