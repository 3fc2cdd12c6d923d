import { type OnApplicationBootstrap, Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { type InventoryControl, registerEnvironBuiltins } from './environ/environ.builtins.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { ENVIRON_ON_PUBLIC_PORT, NO_SUCH_CHECK, OUT_OF_ROTATION, SHUTTING_DOWN } from './heartbeat.messages.js';
import { type ResolvedHeartbeatOptions, servedOnApp } from './heartbeat.options.js';
import { checkName } from './probe-result.normalizer.js';
import type { Observable } from 'rxjs';
import { HealthState } from './health-state.js';
import type { HealthChange, HealthSnapshot, ProbeHealth } from './interfaces/health-state.interface.js';
import type { EnvironReport, ProbeKind, ProbeReport } from './interfaces/probe.interface.js';
import { ProbeRegistry, type RegisteredProbe } from './probe.registry.js';
import { type CheckRun, ProbeRunner } from './probe.runner.js';
import { type Evaluation, environReport, environSummary, evaluate, narrow, passes, unready } from './report.builder.js';
import { environBody, type EnvironMembers, environMembers } from './report.serializer.js';
import { CONTENT_TYPES, type ProbeView, renderHealthJson, renderText } from './report.views.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

/** A seed-JSON response kept with the runs it was built from, answered again while they have not changed. */
interface KeptResponse {
  readonly runs: readonly CheckRun[];
  readonly response: ProbeResponse;
  /** Environ only: each run's serialised contribution, reused while its outcome is the same object. */
  readonly members?: readonly EnvironMembers[];
}

const NO_MEMBERS: EnvironMembers = [];

/**
 * Produces the probe reports. Controllers, the management port and user code all call it, so every
 * transport answers the same thing.
 */
@Injectable()
export class HeartbeatService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly inventory?: InventoryControl;
  /** Startup checks that have passed once, with the run they passed in. */
  private readonly startedUp = new Map<RegisteredProbe, CheckRun>();
  /** Every startup check's passing run, once all critical ones have passed. */
  private startupLatched: readonly CheckRun[] | null = null;
  /** The last seed-JSON response of each probe. */
  private readonly kept = new Map<ProbeKind, KeptResponse>();
  private shuttingDown = false;
  private outOfRotation: string | null = null;
  /**
   * Every change of a check's status (its first result included): probe, check, new and previous
   * status, reason and time. Changes happen when probes run the checks.
   */
  readonly changes$: Observable<HealthChange>;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
  ) {
    this.changes$ = health.changes$;
    if (options.environ.enabled) this.inventory = registerEnvironBuiltins(registry, options);
    for (const { kind, check } of options.checks) registry.register(kind, check);
  }

  /** Releases what the configured checks hold (the event-loop sampler) and stops an unfinished inventory. */
  onApplicationShutdown(): void {
    this.inventory?.stop();
    for (const { check } of this.options.checks) check.dispose?.();
  }

  /**
   * Starts the library inventory once the app has bootstrapped (not during it, so it adds nothing
   * to the bootstrap), so that the first environ request usually finds it ready.
   */
  onApplicationBootstrap(): void {
    void this.inventory?.start();
    const { options } = this;
    if (process.env.NODE_ENV === 'production' && servedOnApp(options, 'environ') && !options.routeDecorated) {
      options.logger?.warn(ENVIRON_ON_PUBLIC_PORT(options.path));
    }
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

  /**
   * A snapshot of the health state, without running any check: per probe its status and per check
   * its last result, duration, when it was checked, since when it has been in its state and its
   * consecutive failures.
   */
  state(): HealthSnapshot {
    const of = (kind: ProbeKind): ProbeHealth => this.health.probe(this.registry.get(kind));
    const readiness = of('readiness');
    const startup = of('startup');
    const inRotation = this.isInRotation();
    return {
      time: Date.now(),
      shuttingDown: this.shuttingDown,
      inRotation,
      probes: {
        readiness: inRotation ? readiness : { ...readiness, status: false },
        liveliness: of('liveliness'),
        startup: this.startupLatched ? { ...startup, status: true } : startup,
        environ: of('environ'),
      },
    };
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

  /** Whether the app has started shutting down (SIGTERM or a close). */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return report.status ? 200 : this.options.failureStatusCode;
  }

  /**
   * The response every transport sends for a probe, in the view the request asked for. The seed's
   * JSON of a whole probe, the kubelet's request, is built once and answered again for as long as
   * every check's outcome stays the same (the runner keeps an unchanged outcome's identity).
   */
  respond(kind: ProbeKind, view: ProbeView = {}): Promise<ProbeResponse> {
    if (kind === 'environ') return this.environResponse();
    const whole = (view.format ?? 'json') === 'json' && view.check === undefined && !view.exclude?.length;
    if (whole && (kind !== 'readiness' || this.isInRotation())) return this.seedResponse(kind);
    return this.viewResponse(kind, view);
  }

  /** The seed's JSON of the whole probe: the response kept from last time while the runs are the same. */
  private async seedResponse(kind: Exclude<ProbeKind, 'environ'>): Promise<ProbeResponse> {
    const runs = await this.runsOf(kind);
    const kept = this.kept.get(kind);
    if (kept && sameRuns(kept.runs, runs)) return kept.response;
    const response = this.json(evaluate(runs, this.details).report);
    this.kept.set(kind, { runs, response });
    return response;
  }

  private async viewResponse(kind: Exclude<ProbeKind, 'environ'>, view: ProbeView): Promise<ProbeResponse> {
    const format = view.format ?? 'json';
    const blocked = this.blocked(kind);
    let evaluation = blocked ?? evaluate(await this.runsOf(kind, view.exclude, view.check), this.details);
    const unknownExcludes = view.exclude?.filter(
      (name) => !this.registry.get(kind).some((probe) => probe.name === name),
    );
    if (view.check !== undefined) {
      const narrowed = narrow(evaluation, view.check);
      if (!narrowed) {
        const body = JSON.stringify({ statusCode: 404, message: NO_SUCH_CHECK(kind, checkName(view.check)) });
        return { statusCode: 404, contentType: CONTENT_TYPES.json, body };
      }
      evaluation = narrowed;
    }
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
    const report: ProbeReport & { unknownExcludes?: string[] } = unknownExcludes?.length
      ? { ...evaluation.report, unknownExcludes }
      : evaluation.report;
    return this.json(report);
  }

  /** Whether bodies carry messages and data (the error text of a throw is decided by the runner). */
  private get details(): boolean {
    return this.options.details !== 'never';
  }

  private json(report: { status: boolean }): ProbeResponse {
    return { statusCode: this.statusCodeOf(report), contentType: CONTENT_TYPES.json, body: JSON.stringify(report) };
  }

  /**
   * The environ body, assembled from each contributor's serialised members: only contributors whose
   * outcome changed (the runtime's uptime, say) are serialised again, not the library inventory.
   */
  private async environResponse(): Promise<ProbeResponse> {
    const runs = await this.runner.run('environ', this.registry.get('environ'));
    const kept = this.kept.get('environ');
    if (kept && sameRuns(kept.runs, runs)) return kept.response;
    const { status, errors } = environSummary(runs, this.details);
    const members = runs.map(({ probe, outcome }, index) => {
      if (outcome.error !== undefined) return NO_MEMBERS;
      const before = kept?.runs[index];
      return before?.probe === probe && before.outcome === outcome ? kept!.members![index] : environMembers(outcome);
    });
    const response = {
      statusCode: this.statusCodeOf({ status }),
      contentType: CONTENT_TYPES.json,
      body: environBody(status, members, errors),
    };
    this.kept.set('environ', { runs, response, members });
    return response;
  }

  /** Readiness fails without running the checks while shutting down or out of rotation. */
  private blocked(kind: ProbeKind): Evaluation | null {
    if (kind !== 'readiness') return null;
    if (this.shuttingDown) return unready('shutdown', SHUTTING_DOWN, this.details);
    if (this.outOfRotation !== null) return unready('rotation', OUT_OF_ROTATION(this.outOfRotation), this.details);
    return null;
  }

  private async evaluate(kind: 'readiness' | 'liveliness' | 'startup'): Promise<Evaluation> {
    return this.blocked(kind) ?? evaluate(await this.runsOf(kind), this.details);
  }

  /**
   * Runs the checks of a probe, less those named in `exclude` (not applied to startup). For one
   * check (`<probe>/<name>`), only the checks registered under that name (`db` for `db#2`) run; a
   * name that only a result tuple gives runs them all, as nothing else can tell which check gives it.
   */
  private runsOf(
    kind: Exclude<ProbeKind, 'environ'>,
    exclude?: readonly string[],
    check?: string,
  ): Promise<readonly CheckRun[]> {
    if (kind === 'startup') return this.startupRuns();
    const probes = this.registry.get(kind);
    if (check !== undefined) {
      const name = check.replace(/#\d+$/, '');
      const named = probes.filter((probe) => probe.name === name);
      if (named.length) return this.runner.run(`${kind}/${name}`, named);
    }
    if (!exclude?.length) return this.runner.run(kind, probes);
    return this.runner.run(
      `${kind}?exclude=${[...exclude].sort().join(',')}`,
      probes.filter((probe) => !exclude.includes(probe.name)),
    );
  }

  /** Startup runs only the checks that have not passed yet; once every critical one has, the result is kept for good. */
  private async startupRuns(): Promise<readonly CheckRun[]> {
    if (this.startupLatched) return this.startupLatched;
    const all = this.registry.get('startup');
    const runs = await this.runner.run(
      'startup',
      all.filter((probe) => !this.startedUp.has(probe)),
    );
    const latest = new Map(runs.map((run) => [run.probe, run]));
    for (const run of runs) if (run.outcome.status) this.startedUp.set(run.probe, run);
    const combined = all.map((probe) => this.startedUp.get(probe) ?? latest.get(probe)!);
    if (passes(combined)) this.startupLatched = combined;
    return combined;
  }
}

/** Whether two runs are the same checks with the same outcome objects. */
function sameRuns(a: readonly CheckRun[], b: readonly CheckRun[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].probe !== b[i].probe || a[i].outcome !== b[i].outcome) return false;
  return true;
}
