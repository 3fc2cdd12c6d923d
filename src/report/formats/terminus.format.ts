import { defineKey } from '../../util/define-key.js';
import type { Evaluation, ReportEntry } from '../evaluation.js';

/**
 * @nestjs/terminus's body, `{ status, info, error, details }`, for dashboards and alerts written
 * against it: `status` is `ok` (`degraded` when an indicator said so), `error` when the probe fails,
 * `shutting_down` while readiness fails for shutdown; passing checks are under `info`, failing ones
 * under `error`, all of them under `details` (info first, as terminus lists them). The status code
 * is terminus's too: 503 when the probe fails, whatever `failureStatusCode` says. A capped body
 * carries `truncated`.
 */
export function renderTerminus(
  evaluation: Evaluation,
  details: boolean,
  shuttingDown: boolean,
  truncated?: string,
): { statusCode: number; body: string } {
  const statusCode = terminusStatusCode(evaluation, shuttingDown);
  if (shuttingDown) {
    return { statusCode, body: JSON.stringify({ status: 'shutting_down', info: {}, error: {}, details: {} }) };
  }
  const info: Record<string, unknown> = {};
  const error: Record<string, unknown> = {};
  let degraded = false;
  for (const entry of evaluation.entries) {
    if (entry.outcome.status) {
      if (entry.outcome.indicator?.status === 'degraded') degraded = true;
      defineKey(info, entry.key, terminusEntry(entry, details));
    } else defineKey(error, entry.key, terminusEntry(entry, details));
  }
  const all: Record<string, unknown> = {};
  for (const [key, value] of [...Object.entries(info), ...Object.entries(error)]) defineKey(all, key, value);
  const passes = evaluation.report.status;
  const status = !passes ? 'error' : degraded ? 'degraded' : 'ok';
  const body =
    truncated === undefined ? { status, info, error, details: all } : { status, info, error, details: all, truncated };
  return { statusCode, body: JSON.stringify(body) };
}

/** Terminus's status code: 503 when the probe fails or the instance shuts down, whatever `failureStatusCode` says. */
export function terminusStatusCode(evaluation: Evaluation, shuttingDown: boolean): number {
  return !shuttingDown && evaluation.report.status ? 200 : 503;
}

/** A check as terminus shows it: an indicator's entry as it was written, any other check `{ status: 'up' | 'down', ...data }`. */
function terminusEntry({ outcome }: ReportEntry, details: boolean): Record<string, unknown> {
  const status = outcome.indicator?.status ?? (outcome.status ? 'up' : 'down');
  if (!details) return { status };
  return outcome.indicator?.statusFirst === false ? { ...outcome.data, status } : { status, ...outcome.data };
}
