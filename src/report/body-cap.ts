import { BODY_HEADROOM_BYTES, MAX_BODY_BYTES } from '../heartbeat.constants.js';
import { BODY_TRUNCATED } from '../heartbeat.messages.js';
import type { CheckReport } from '../interfaces/probe.interface.js';
import { truncate, TRUNCATION_MARKER } from '../util/text.js';
import type { CheckOutcome } from '../state/check-outcome.js';
import { checkReport, type Evaluation, type ReportEntry } from './evaluation.js';
import { defineKey } from '../util/define-key.js';

/** Renders an evaluation in one format; `truncated`, when given, is the marker the body must carry. */
export type Render = (evaluation: Evaluation, truncated?: string) => string;

/** What the responder's bodies may use of the cap. */
const BUDGET = MAX_BODY_BYTES - BODY_HEADROOM_BYTES;

/** A failing check's reason, as a truncated body keeps it. */
const SHORT_REASON = 120;

/**
 * `render(evaluation)` within `MAX_BODY_BYTES` (less the worker thread's headroom), whatever the
 * number of checks, the size of their data or their names. An oversized body is rendered again with
 * the checks' data left out (a failing check keeps a short reason); if that is still too large,
 * with as many checks as fit, failing ones first, then degraded, then passing. Either way it
 * carries `truncated` (the marker says what was left out), and the probe's status is the whole
 * probe's. The kubelet's body, a few checks, is rendered once: only its length is read.
 */
export function withinCap(evaluation: Evaluation, details: boolean, render: Render): string {
  const body = render(evaluation);
  if (fits(body)) return body;
  const entries = evaluation.entries.map((entry) => compact(entry, details));
  const total = entries.length;
  const dataLeftOut = render(rebuild(evaluation, entries, details), marker(0, total));
  if (fits(dataLeftOut)) return dataLeftOut;
  // The most telling checks first (a stable sort keeps report order within a rank).
  const ranked = entries.map((entry, index) => ({ entry, index })).sort((a, b) => rank(a.entry) - rank(b.entry));
  const keep = (count: number) => {
    const kept = ranked.slice(0, count).sort((a, b) => a.index - b.index);
    const shown = kept.map(({ entry }) => entry);
    return render(rebuild(evaluation, shown, details), marker(total - count, total));
  };
  // The largest count that fits, in log2(checks) renders.
  let best = keep(0);
  let low = 1;
  let high = total - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const candidate = keep(middle);
    if (fits(candidate)) {
      best = candidate;
      low = middle + 1;
    } else high = middle - 1;
  }
  return best;
}

/** Whether `body` is within the cap: a UTF-16 unit is at most 3 bytes in UTF-8, so a short body is not measured. */
function fits(body: string): boolean {
  return body.length * 3 <= BUDGET || Buffer.byteLength(body) <= BUDGET;
}

function marker(omitted: number, total: number): string {
  return `${TRUNCATION_MARKER} ${BODY_TRUNCATED(MAX_BODY_BYTES, omitted, total)}`;
}

/** Failing critical checks first, then failing non-critical ones, degraded ones and passing ones. */
function rank({ outcome, critical }: ReportEntry): number {
  if (!outcome.status) return critical ? 0 : 1;
  return outcome.indicator?.status === 'degraded' ? 2 : 3;
}

/** The entry without its data; a failing check keeps a short reason as its `message`. */
function compact(entry: ReportEntry, details: boolean): ReportEntry {
  const { outcome } = entry;
  const reason = outcome.reason === undefined ? undefined : truncate(outcome.reason, SHORT_REASON);
  const data = details && !outcome.status && reason !== undefined ? { message: reason } : {};
  const short: CheckOutcome = { ...outcome, data, reason, members: undefined };
  return { ...entry, outcome: short };
}

/** An evaluation of `entries`, with the whole probe's status. */
function rebuild(evaluation: Evaluation, entries: readonly ReportEntry[], details: boolean): Evaluation {
  const checks: Record<string, CheckReport> = {};
  for (const { key, outcome, critical } of entries) defineKey(checks, key, checkReport(outcome, critical, details));
  return { report: { ...evaluation.report, checks }, entries };
}
