import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { ProbeRegistry } from './discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { LISTENER_THREW } from './heartbeat.messages.js';
import { oneLine, reasonOf } from './util/text.js';
import { required, textRule } from './options/option-rules.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import type { HealthChange, HealthSnapshot, ProbeHealth } from './interfaces/health-state.interface.js';
import type { EnvironReport, ProbeKind, ProbeReport } from './interfaces/probe.interface.js';
import { ProbeSerializer, type ProbeResponse } from './report/probe.serializer.js';
import { environReport, evaluateProbe } from './report/evaluation.js';
import type { ProbeView } from './probe/probe-view.js';
import { HealthState } from './state/health-state.js';
import { ProbeEvaluator } from './run/probe-evaluator.js';
import { ProbeRunner } from './run/probe.runner.js';

export type { ProbeResponse } from './report/probe.serializer.js';

const ROTATION_OWNER = 'HeartbeatService.takeOutOfRotation()';
const REASON = textRule('a non-empty string');

/**
 * The module's public face: the probe reports, the responses every transport sends, the health
 * state and the rotation switch. It delegates: the evaluator decides what runs, the runner runs it,
 * the health state records it and the responder turns it into bytes.
 */
@Injectable()
export class HeartbeatService {
  /**
   * Every change of a check's status (its first result included): probe, check, new and previous
   * status, reason and time. Changes happen when probes run the checks.
   */
  readonly changes$: Observable<HealthChange>;

  /** Whether the instance is in rotation, each time shutdown or the rotation switch changes it. */
  readonly rotation$: Observable<boolean>;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HealthState,
    private readonly evaluator: ProbeEvaluator,
    private readonly serializer: ProbeSerializer,
  ) {
    this.changes$ = health.changes$;
    this.rotation$ = evaluator.rotation$;
  }

  /**
   * The readiness report: should this instance receive traffic? It fails without running the checks
   * while the instance is shutting down or has been taken out of rotation.
   */
  async readiness(): Promise<ProbeReport> {
    return (await evaluateProbe(this.evaluator, 'readiness')).report;
  }

  /** The liveliness (liveness) report: is the process healthy? */
  async liveliness(): Promise<ProbeReport> {
    return (await evaluateProbe(this.evaluator, 'liveliness')).report;
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
    return (await evaluateProbe(this.evaluator, 'startup')).report;
  }

  /** The environ report: libraries, Node version and the contributors' data. */
  async environ(): Promise<EnvironReport> {
    const runs = await this.runner.run(this.registry.get('environ'));
    return environReport(runs, this.evaluator.details);
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
      shuttingDown: this.evaluator.isShuttingDown(),
      inRotation,
      probes: {
        readiness: inRotation ? readiness : { ...readiness, status: false },
        liveliness: of('liveliness'),
        startup: this.evaluator.hasStartedUp() ? { ...startup, status: true } : startup,
        environ: of('environ'),
      },
    };
  }

  /**
   * Calls `listener` with each change of a check's status (as `changes$` emits it) and returns a
   * function that stops it. A listener that throws is logged and keeps its subscription; its error
   * never reaches RxJS, which would rethrow it on a timer and end the process.
   */
  onChange(listener: (change: HealthChange) => void): () => void {
    const subscription = this.changes$.subscribe((change) => {
      try {
        listener(change);
      } catch (error) {
        this.logListenerError(error);
      }
    });
    return () => subscription.unsubscribe();
  }

  private logListenerError(error: unknown): void {
    try {
      this.options.logger?.error(LISTENER_THREW(oneLine(reasonOf(error))));
    } catch {
      // A throwing logger costs its line only.
    }
  }

  /** Takes the instance out of rotation (readiness fails with `reason`) until `returnToRotation()`. */
  takeOutOfRotation(reason = 'maintenance'): void {
    // Checked (and cut to one line) here: readiness shows it on every request from now on.
    this.evaluator.takeOutOfRotation(oneLine(required(ROTATION_OWNER, 'reason', reason, REASON)));
  }

  /** Puts the instance back into rotation after `takeOutOfRotation()`. */
  returnToRotation(): void {
    this.evaluator.returnToRotation();
  }

  /** Whether readiness currently fails because of shutdown or the manual switch. */
  isInRotation(): boolean {
    return this.evaluator.isInRotation();
  }

  /** Makes readiness fail from now on; called when the app starts shutting down. */
  markShuttingDown(): void {
    this.evaluator.markShuttingDown();
  }

  /** Whether the app has started shutting down (SIGTERM or a close). */
  isShuttingDown(): boolean {
    return this.evaluator.isShuttingDown();
  }

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return this.serializer.statusCodeOf(report);
  }

  /**
   * The response every transport sends for a probe, in the view the request asked for. The seed's
   * JSON of a whole probe, the kubelet's request, is built once and answered again for as long as
   * every check's outcome stays the same.
   */
  respond(kind: ProbeKind, view: ProbeView = {}): Promise<ProbeResponse> {
    return this.serializer.respond(kind, view);
  }
}
