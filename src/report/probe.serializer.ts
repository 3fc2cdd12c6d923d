import { type HealthProbe } from '../probe/probe-kinds.js';
import { Inject, Injectable } from '@nestjs/common';
import { ProbeRegistry } from '../discovery/probe.registry.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { NO_SUCH_CHECK } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { checkName } from '../probe/check-name.js';
import type { ProbeFormat, ProbeView } from '../probe/probe-view.js';
import { ProbeEvaluator } from '../run/probe-evaluator.js';
import { ProbeRunner } from '../run/probe.runner.js';
import { HealthState } from '../state/health-state.js';
import { withinCap } from './body-cap.js';
import { blockedEvaluation, environReport, type Evaluation, evaluate, narrow } from './evaluation.js';
import { renderHealthJson } from './formats/health-json.format.js';
import { renderJson } from './formats/json.format.js';
import { CONTENT_TYPES, type ProbeResponse } from './formats/response.js';
import { renderTerminus, terminusStatusCode } from './formats/terminus.format.js';
import { renderText } from './formats/text.format.js';

export type { ProbeResponse } from './formats/response.js';

/**
 * The only producer of a probe's bytes, on every port (the worker thread adds its verdict with
 * `withMainThread`): status code, content type and body in the format a request asked for, every
 * body within the cap. The kubelet's request (a whole probe, seed JSON) is memoised per probe and
 * state version: equal versions report the same, so the same bytes are answered again.
 */
@Injectable()
export class ProbeSerializer {
  private readonly memo = new Map<HealthProbe, { readonly version: number; readonly response: ProbeResponse }>();

  constructor(
    private readonly evaluator: ProbeEvaluator,
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    private readonly state: HealthState,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {}

  /** The HTTP status code for a report: 200 when it passes, else `failureStatusCode`. */
  statusCodeOf(report: { status: boolean }): number {
    return report.status ? 200 : this.options.failureStatusCode;
  }

  /** The response every transport sends for a probe, in the view the request asked for. */
  async respond(kind: ProbeKind, view: ProbeView = {}): Promise<ProbeResponse> {
    if (kind === 'environ') return this.environ();
    let format = view.format ?? 'json';
    // `responseFormat: 'terminus'` answers terminus's body unless the request named its format.
    if (format === 'json' && !view.formatGiven && this.options.responseFormat === 'terminus') format = 'terminus';
    const details = this.evaluator.details;
    const blocked = blockedEvaluation(this.evaluator.blocked(kind), details);
    if (blocked)
      return this.render(kind, view.check === undefined ? blocked : narrow(blocked, view.check), format, view, blocked);
    // An unknown name is answered at once: running every check to look for it would wait for a hung one.
    if (view.check !== undefined && !this.isKnownCheck(kind, view.check)) return noSuchCheck(kind, view.check);
    const whole = format === 'json' && view.check === undefined && !view.exclude?.length;
    const before = this.state.version(kind);
    const results = await this.evaluator.resultsOf(kind, view.exclude, view.check);
    const version = this.state.version(kind);
    // Valid while no result changed what the probe reports during this run.
    const kept = whole ? this.memo.get(kind) : undefined;
    if (kept?.version === version && version === before) return kept.response;
    const evaluation = evaluate(results, details);
    if (!whole) return this.render(kind, this.narrowed(kind, view.check, evaluation), format, view, evaluation);
    const response = this.render(kind, evaluation, format, view, evaluation);
    if (version === before) this.memo.set(kind, { version, response });
    return response;
  }

  /** The environ body: the contributors' data merged, with the aggregate status and the failures. */
  private async environ(): Promise<ProbeResponse> {
    const report = environReport(await this.runner.run(this.registry.get('environ')), this.evaluator.details);
    return { statusCode: this.statusCodeOf(report), contentType: CONTENT_TYPES.json, body: JSON.stringify(report) };
  }

  /**
   * Renders `evaluation` (`null`: the one check asked for is not reported) in `format`, within the
   * cap; the status code is the whole probe's (`whole`).
   */
  private render(
    kind: HealthProbe,
    evaluation: Evaluation | null,
    format: ProbeFormat,
    view: ProbeView,
    whole: Evaluation,
  ): ProbeResponse {
    const shuttingDown = kind === 'readiness' && this.evaluator.isShuttingDown();
    // Terminus answers `shutting_down` for any one check too.
    if (format === 'terminus' && shuttingDown) evaluation ??= whole;
    if (evaluation === null) return noSuchCheck(kind, view.check!);
    const details = this.evaluator.details;
    const cap = (render: (e: Evaluation, truncated?: string) => string) => withinCap(evaluation, details, render);
    if (format === 'terminus') {
      const body = cap((e, cut) => renderTerminus(e, details, shuttingDown, cut).body);
      return { statusCode: terminusStatusCode(evaluation, shuttingDown), contentType: CONTENT_TYPES.terminus, body };
    }
    const statusCode = this.statusCodeOf(evaluation.report);
    const unknown = view.exclude?.filter((name) => !this.registry.get(kind).some((check) => check.name === name));
    const body =
      format === 'text'
        ? cap((e, cut) => renderText(kind, e, details, cut))
        : format === 'health+json'
          ? cap((e, cut) => renderHealthJson(e, details, unknown, cut))
          : cap((e, cut) => renderJson(e.report, unknown, cut));
    return { statusCode, contentType: CONTENT_TYPES[format], body };
  }

  /** The evaluation of one check (`check`) or, without one, the whole; `null` when no check reports that key. */
  private narrowed(kind: HealthProbe, check: string | undefined, evaluation: Evaluation): Evaluation | null {
    if (check === undefined) return evaluation;
    // A check registered under the name whose result reports other keys (an indicator's) answers them all.
    const single = this.registry.get(kind).filter((registered) => registered.name === check).length === 1;
    return narrow(evaluation, check) ?? (single && evaluation.entries.length > 0 ? evaluation : null);
  }

  /**
   * Whether `check` (`db`, `db#2`) names a check of `kind` without running any: a registered name,
   * or a name a check's last result gave (a tuple's name, an indicator's keys).
   */
  private isKnownCheck(kind: HealthProbe, check: string): boolean {
    const name = check.replace(/#\d+$/, '');
    return this.registry.get(kind).some((registered) => {
      if (registered.name === name) return true;
      const last = this.state.recordOf(registered).reported;
      return last !== null && (last.members ?? [last]).some((member) => member.name === name);
    });
  }
}

/** The 404 of a one-check route whose name no check of `kind` reports. */
function noSuchCheck(kind: HealthProbe, check: string): ProbeResponse {
  const body = JSON.stringify({ statusCode: 404, message: NO_SUCH_CHECK(kind, checkName(check)) });
  return { statusCode: 404, contentType: CONTENT_TYPES.json, body };
}
