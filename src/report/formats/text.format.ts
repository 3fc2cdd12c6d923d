import type { ProbeKind } from '../../interfaces/probe.interface.js';
import { isDegraded } from '../../state/check-outcome.js';
import type { Evaluation, ReportEntry } from '../evaluation.js';

/**
 * The Kubernetes API server's `?verbose` text: one `[+]name ok` / `[-]name failed: reason` line per
 * check; a capped body's marker on a line of its own before the last.
 */
export function renderText(kind: ProbeKind, evaluation: Evaluation, details: boolean, truncated?: string): string {
  const lines = evaluation.entries.map((entry) => {
    const { key, outcome, critical } = entry;
    if (outcome.status) return `[+]${key} ok${isDegraded(outcome) ? ' (degraded)' : ''}${history(entry)}`;
    const reason = reasonShown(entry, details);
    return `[-]${key} failed${reason === undefined ? '' : `: ${reason}`}${critical ? '' : ' (non-critical)'}${history(entry)}`;
  });
  if (truncated !== undefined) lines.push(truncated);
  const { status, degraded } = evaluation.report;
  lines.push(`${kind} check ${status ? 'passed' : 'failed'}${degraded ? ' (degraded)' : ''}`);
  return lines.join('\n') + '\n';
}

/**
 * When a check that runs in the background or has thresholds last ran and its streak of raw
 * results, for the text view: ` (checked <ISO time>, passed 3 times in a row)`; nothing for others.
 */
function history({ streak, time }: ReportEntry): string {
  if (streak === undefined) return '';
  const checked = time ? new Date(time).toISOString() : 'not yet';
  if (streak === 0) return ` (checked ${checked})`;
  const times = Math.abs(streak);
  return ` (checked ${checked}, ${streak > 0 ? 'passed' : 'failed'} ${times} time${times === 1 ? '' : 's'} in a row)`;
}

/**
 * A failing check's reason as a view shows it: its text, `reason withheld` when `details: 'never'`
 * hides one, nothing when it has none (it returned `false`, an HTTP check got its status code).
 */
export function reasonShown({ outcome }: ReportEntry, details: boolean): string | undefined {
  if (!outcome.reason) return undefined;
  return details ? outcome.reason : 'reason withheld';
}
