import { type HealthProbe } from '../probe/probe-kinds.js';
import type { CheckReport, EnvironReport, ProbeReport } from '../interfaces/probe.interface.js';
import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { Blocked, ProbeEvaluator } from '../run/probe-evaluator.js';
import { type CheckOutcome, type CheckReading, isDegraded } from '../state/check-outcome.js';
import { isCritical } from '../state/check-policy.js';
import { defineKey } from '../util/define-key.js';

/** One check of an evaluated probe: the key it has in the report and what came of it. */
export interface ReportEntry {
  readonly key: string;
  /** `null` for the module's own entries (shutdown, rotation). */
  readonly check: RegisteredCheck | null;
  readonly outcome: CheckOutcome;
  readonly time: number;
  readonly critical: boolean;
  /** Raw results in a row with the same status (positive passing), for checks that run in the background or have thresholds. */
  readonly streak?: number;
}

/** A probe evaluated once, from which every view (seed JSON, text, health+json) is rendered. */
export interface Evaluation {
  readonly report: ProbeReport;
  readonly entries: readonly ReportEntry[];
}

/**
 * `name`, else the first of `name#2`, `name#3`… not yet a key of `taken`: the one rule for report
 * keys and metric labels, applied among the checks registered now, so a name given again after its
 * check was unregistered gets its plain key back.
 */
export function freeKey(taken: object, name: string): string {
  let key = name;
  for (let n = 2; Object.hasOwn(taken, key); n++) key = `${name}#${n}`;
  return key;
}

/**
 * The seed's `{status, checks}`. A name already taken in this report gets the suffix `#2`, `#3`…
 * in registration order (`freeKey`), so two results never overwrite each other. Non-critical checks
 * are marked `"critical": false` and do not fail the probe; a terminus indicator's `degraded` passes,
 * marked `"degraded": true`. A probe that passes with a degraded check says `"degraded": true` too:
 * still 200, so the pod stays in rotation (`failureStatusCode` is for failures only).
 */
export function evaluate(results: readonly CheckReading[], details: boolean): Evaluation {
  const checks: Record<string, CheckReport> = {};
  const entries: ReportEntry[] = [];
  let status = true;
  for (const { check: registered, outcome: whole, time, streak } of results) {
    const critical = isCritical(registered);
    if (critical && !whole.status) status = false;
    // An indicator result of several keys is reported as one check per key.
    for (const outcome of whole.members ?? [whole]) {
      const key = freeKey(checks, outcome.name);
      defineKey(checks, key, checkReport(outcome, critical, details));
      entries.push(
        streak === undefined
          ? { key, check: registered, outcome, time, critical }
          : { key, check: registered, outcome, time, critical, streak },
      );
    }
  }
  return { report: withDegraded({ status, checks }, entries), entries };
}

/** The report with `degraded: true` when it passes with a degraded entry. */
export function withDegraded(report: ProbeReport, entries: readonly ReportEntry[]): ProbeReport {
  const degraded = report.status && entries.some(({ outcome, critical }) => isDegraded(outcome, critical));
  return degraded ? { ...report, degraded: true } : report;
}

/** One check as the seed's JSON reports it: `{ status, ...data }`, with `degraded` and `critical` when they apply. */
export function checkReport(outcome: CheckOutcome, critical: boolean, details: boolean): CheckReport {
  const check: CheckReport = details ? { status: outcome.status, ...outcome.data } : { status: outcome.status };
  // A terminus indicator's `degraded` passes; the seed's boolean keeps it a pass, this key says the rest.
  if (isDegraded(outcome)) check.degraded = true;
  if (!critical) check.critical = false;
  return check;
}

/** The evaluation of a whole probe: a blocked readiness (shutting down, out of rotation) fails without running its checks. */
export async function evaluateProbe(evaluator: ProbeEvaluator, kind: HealthProbe): Promise<Evaluation> {
  return (
    blockedEvaluation(evaluator.blocked(kind), evaluator.details) ??
    evaluate(await evaluator.resultsOf(kind), evaluator.details)
  );
}

/** The failing evaluation of a blocked probe, `null` when it is not blocked. */
export function blockedEvaluation(blocked: Blocked | null, details: boolean): Evaluation | null {
  return blocked && unready(blocked.key, blocked.message, details);
}

/** A failing evaluation with one entry of the module's own, for states that fail readiness without running checks. */
export function unready(key: string, message: string, details: boolean): Evaluation {
  const outcome: CheckOutcome = { name: key, status: false, data: { message }, reason: message };
  return {
    report: { status: false, checks: { [key]: details ? { status: false, message } : { status: false } } },
    entries: [{ key, check: null, outcome, time: Date.now(), critical: true }],
  };
}

/** The evaluation narrowed to the check reported under `key`, or `null` when there is none. */
export function narrow(evaluation: Evaluation, key: string): Evaluation | null {
  const entry = evaluation.entries.find((candidate) => candidate.key === key);
  if (!entry) return null;
  const checks: Record<string, CheckReport> = {};
  defineKey(checks, key, evaluation.report.checks[key]);
  const report = withDegraded({ status: entry.outcome.status || !entry.critical, checks }, [entry]);
  return { report, entries: [entry] };
}

/**
 * The aggregate status of an environ run and the contributors that threw, timed out or returned
 * garbage (by source), which are listed under `errors` instead of contributing data.
 */
export function environSummary(
  results: readonly CheckReading[],
  details: boolean,
): { status: boolean; errors: Record<string, string> | undefined } {
  let status = true;
  let errors: Record<string, string> | undefined;
  for (const { check, outcome } of results) {
    if (!outcome.status) status = false;
    if (outcome.error === undefined) continue;
    errors ??= {};
    defineKey(errors, check.source, details ? outcome.error : 'reason withheld');
  }
  return { status, errors };
}

/**
 * The contributors' data merged shallowly in registration order (later keys win); `status` is
 * always the aggregate. Contributors that failed are listed under `errors` (see `environSummary`).
 */
export function environReport(results: readonly CheckReading[], details: boolean): EnvironReport {
  const { status, errors } = environSummary(results, details);
  const report = { status } as EnvironReport;
  for (const { outcome } of results) {
    if (outcome.error !== undefined) continue;
    for (const [key, value] of Object.entries(outcome.data)) defineKey(report, key, value);
  }
  if (errors) report.errors = errors;
  return report;
}
