import { isDegraded } from '../../state/check-outcome.js';
import { defineKey } from '../../util/define-key.js';
import type { Evaluation, ReportEntry } from '../evaluation.js';
import { reasonShown } from './text.format.js';

/**
 * The IETF draft "Health Check Response Format for HTTP APIs" (application/health+json); a capped
 * body carries `truncated` instead of `unknownExcludes`.
 */
export function renderHealthJson(
  evaluation: Evaluation,
  details: boolean,
  unknownExcludes?: string[],
  truncated?: string,
): string {
  let aggregate: 'pass' | 'warn' | 'fail' = 'pass';
  const checks: Record<string, object[]> = {};
  for (const entry of evaluation.entries) {
    // A degraded check passes the probe but is `warn` here, as the draft defines it.
    const { outcome } = entry;
    const status = !outcome.status ? (entry.critical ? 'fail' : 'warn') : isDegraded(outcome) ? 'warn' : 'pass';
    if (status === 'fail') aggregate = 'fail';
    else if (status === 'warn' && aggregate === 'pass') aggregate = 'warn';
    defineKey(checks, entry.key, [component(entry, status, details)]);
  }
  const body: Record<string, unknown> = { status: aggregate, checks };
  if (truncated !== undefined) body.truncated = truncated;
  else if (unknownExcludes?.length) body.unknownExcludes = unknownExcludes;
  return JSON.stringify(body);
}

function component(entry: ReportEntry, status: string, details: boolean): object {
  const health = entry.check?.health;
  const result: Record<string, unknown> = {
    componentId: entry.key,
    componentType: health?.componentType ?? 'component',
  };
  if (details && health) {
    const observed = entry.outcome.data[health.observedKey];
    if (observed !== undefined) {
      result.observedValue = observed;
      result.observedUnit = health.observedUnit;
    }
  }
  result.status = status;
  result.time = new Date(entry.time || Date.now()).toISOString();
  if (entry.streak !== undefined) {
    result.consecutiveSuccesses = Math.max(entry.streak, 0);
    result.consecutiveFailures = Math.max(-entry.streak, 0);
  }
  if (!entry.outcome.status) {
    const output = reasonShown(entry, details);
    if (output !== undefined) result.output = output;
  }
  return result;
}
