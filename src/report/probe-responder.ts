import { Inject, Injectable } from '@nestjs/common';
import { ProbeRegistry } from '../discovery/probe.registry.js';
import { HEALTH_PROBES, HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { NO_SUCH_CHECK } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { checkName } from '../run/check-name.js';
import { type HealthProbe, ProbeEvaluator } from '../run/probe-evaluator.js';
import { type CheckResult, ProbeRunner } from '../run/probe.runner.js';
import { withinCap } from './body-cap.js';
import { blockedEvaluation, environSummary, type Evaluation, evaluate, narrow } from './report.builder.js';
import { environBody, type EnvironMembers, environMembers } from './report.serializer.js';
import { CONTENT_TYPES, type ProbeFormat, type ProbeView, renderHealthJson, renderText } from './report.views.js';
import { renderTerminus, terminusStatusCode } from './terminus.view.js';

/** A serialised probe response, as every transport sends it. */
export interface ProbeResponse {
  readonly statusCode: number;
  readonly contentType: string;
  readonly body: string;
}

/** A seed-JSON response kept with the results it was built from, answered again while they have not changed. */
interface KeptResponse {
  readonly results: readonly CheckResult[];
  readonly response: ProbeResponse;
  /** Environ only: each run's serialised contribution, reused while its outcome is the same object. */
  readonly members?: readonly EnvironMembers[];
}

const NO_MEMBERS: EnvironMembers = [];

/**
 * The only producer of a probe's bytes: status code, content type and body in the view a request
 * asked for, with the memo that answers an unchanged whole probe again.
 */
@Injectable()
export class ProbeResponder {
  /** The last seed-JSON response of each probe. */
  private readonly kept = new Map<ProbeKind, KeptResponse>();

  constructor(
    private readonly evaluator: ProbeEvaluator,
    private readonly registry: ProbeRegistry,
    private readonly runner: ProbeRunner,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {}

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
    let format = view.format ?? 'json';
    // `responseFormat: 'terminus'` answers terminus's body unless the request named its format.
    if (format === 'json' && !view.formatGiven && this.options.responseFormat === 'terminus') format = 'terminus';
    const whole = format === 'json' && view.check === undefined && !view.exclude?.length;
    if (whole && (kind !== 'readiness' || this.evaluator.isInRotation())) return this.seedResponse(kind);
    return this.viewResponse(kind, view, format);
  }

  /**
   * The seed's JSON of the whole probe: the response kept from last time while the results are the
   * same. A `then` with a continuation made once per probe, not an async function: no closure or
   * extra promise per request on the path the kubelet takes.
   */
  private seedResponse(kind: HealthProbe): Promise<ProbeResponse> {
    return this.evaluator.resultsOf(kind).then(this.seedOf[kind]);
  }

  private readonly seedOf = Object.fromEntries(
    HEALTH_PROBES.map((kind) => [kind, (results: readonly CheckResult[]) => this.seed(kind, results)]),
  ) as Record<HealthProbe, (results: readonly CheckResult[]) => ProbeResponse>;

  private seed(kind: HealthProbe, results: readonly CheckResult[]): ProbeResponse {
    const kept = this.kept.get(kind);
    if (kept && sameResults(kept.results, results)) return kept.response;
    const response = this.json(evaluate(results, this.evaluator.details));
    this.kept.set(kind, { results, response });
    return response;
  }

  private async viewResponse(kind: HealthProbe, view: ProbeView, format: ProbeFormat): Promise<ProbeResponse> {
    const blocked = blockedEvaluation(this.evaluator.blocked(kind), this.evaluator.details);
    // An unknown name is answered at once: running every check to look for it would wait for a hung one.
    if (!blocked && view.check !== undefined && !this.isKnownCheck(kind, view.check))
      return noSuchCheck(kind, view.check);
    let evaluation =
      blocked ?? evaluate(await this.evaluator.resultsOf(kind, view.exclude, view.check), this.evaluator.details);
    const unknownExcludes = view.exclude?.filter(
      (name) => !this.registry.get(kind).some((probe) => probe.name === name),
    );
    const shuttingDown = kind === 'readiness' && this.evaluator.isShuttingDown();
    if (view.check !== undefined && !(format === 'terminus' && shuttingDown)) {
      // A check registered under the name whose result reports other keys (an indicator's) answers them all.
      const named = blocked ? null : this.namedRun(kind, view.check, evaluation);
      const narrowed = narrow(evaluation, view.check) ?? named;
      if (!narrowed) return noSuchCheck(kind, view.check);
      evaluation = narrowed;
    }
    const details = this.evaluator.details;
    // Every body is rendered within the cap (body-cap.ts); the status code is the whole probe's.
    if (format === 'terminus') {
      const statusCode = terminusStatusCode(evaluation, shuttingDown);
      const body = withinCap(evaluation, details, (e, cut) => renderTerminus(e, details, shuttingDown, cut).body);
      return { statusCode, contentType: CONTENT_TYPES.terminus, body };
    }
    const statusCode = this.statusCodeOf(evaluation.report);
    if (format === 'text') {
      const body = withinCap(evaluation, details, (e, cut) => renderText(kind, e, details, cut));
      return { statusCode, contentType: CONTENT_TYPES.text, body };
    }
    if (format === 'health+json') {
      const body = withinCap(evaluation, details, (e, cut) => renderHealthJson(e, details, unknownExcludes, cut));
      return { statusCode, contentType: CONTENT_TYPES['health+json'], body };
    }
    return this.json(evaluation, unknownExcludes);
  }

  /**
   * Whether `check` (`db`, `db#2`) names a check of `kind` without running any: a registered name,
   * or a name a check's last result gave (a tuple's name, an indicator's keys).
   */
  private isKnownCheck(kind: HealthProbe, check: string): boolean {
    const name = check.replace(/#\d+$/, '');
    return this.registry.get(kind).some((registered) => {
      if (registered.name === name) return true;
      const last = this.runner.lastOutcome(registered);
      return last !== null && (last.members ?? [last]).some((member) => member.name === name);
    });
  }

  /** The whole evaluation when it is the run of the one check registered as `check` (the evaluator ran only it). */
  private namedRun(kind: HealthProbe, check: string, evaluation: Evaluation): Evaluation | null {
    const named = this.registry.get(kind).filter((registered) => registered.name === check);
    return named.length === 1 && evaluation.entries.length > 0 ? evaluation : null;
  }

  /** The seed's JSON of an evaluation, within the cap; a capped body carries `truncated` instead of `unknownExcludes`. */
  private json(evaluation: Evaluation, unknownExcludes?: string[]): ProbeResponse {
    const body = withinCap(evaluation, this.evaluator.details, ({ report }, truncated) => {
      if (truncated !== undefined) return JSON.stringify({ ...report, truncated });
      return JSON.stringify(unknownExcludes?.length ? { ...report, unknownExcludes } : report);
    });
    return { statusCode: this.statusCodeOf(evaluation.report), contentType: CONTENT_TYPES.json, body };
  }

  /**
   * The environ body, assembled from each contributor's serialised members: only contributors whose
   * outcome changed (the runtime's uptime, say) are serialised again, not the library inventory.
   */
  private async environResponse(): Promise<ProbeResponse> {
    const results = await this.runner.run('environ', this.registry.get('environ'));
    const kept = this.kept.get('environ');
    if (kept && sameResults(kept.results, results)) return kept.response;
    const { status, errors } = environSummary(results, this.evaluator.details);
    const members = results.map(({ check, outcome }, index) => {
      if (outcome.error !== undefined) return NO_MEMBERS;
      const before = kept?.results[index];
      return before?.check === check && before.outcome === outcome ? kept!.members![index] : environMembers(outcome);
    });
    const response = {
      statusCode: this.statusCodeOf({ status }),
      contentType: CONTENT_TYPES.json,
      body: environBody(status, members, errors),
    };
    this.kept.set('environ', { results, response, members });
    return response;
  }
}

/** The 404 of a one-check route whose name no check of `kind` reports. */
function noSuchCheck(kind: HealthProbe, check: string): ProbeResponse {
  const body = JSON.stringify({ statusCode: 404, message: NO_SUCH_CHECK(kind, checkName(check)) });
  return { statusCode: 404, contentType: CONTENT_TYPES.json, body };
}

/** Whether two results are the same checks with the same outcome objects. */
function sameResults(a: readonly CheckResult[], b: readonly CheckResult[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i].check !== b[i].check || a[i].outcome !== b[i].outcome) return false;
  return true;
}
