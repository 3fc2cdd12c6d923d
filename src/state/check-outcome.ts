import type { RegisteredCheck } from '../discovery/probe.registry.js';
import type { CheckData } from '../interfaces/probe.interface.js';

/** The status of a terminus indicator entry; `degraded` (terminus 12) passes. */
export type IndicatorStatus = 'up' | 'down' | 'degraded';

/** One check's result once the module has made sense of whatever the handler did. */
export interface CheckOutcome {
  /** The tuple's name, else the registered name. */
  readonly name: string;
  readonly status: boolean;
  /** JSON-safe data to report beside the status (never containing `status`). */
  readonly data: CheckData;
  /** Why the check fails, as bodies may show it; absent when it passes. */
  readonly reason?: string;
  /** Why the check fails, for the log only, when bodies withhold it (the text of an error a handler threw). */
  readonly logReason?: string;
  /** Set when the module itself failed the check (it threw, timed out or returned garbage). */
  readonly error?: string;
  /** Set when the check failed by timing out. */
  readonly timedOut?: true;
  /** For a terminus indicator's entry: its own status and where it sat, for the terminus view. */
  readonly indicator?: { readonly status: IndicatorStatus; readonly statusFirst: boolean };
  /** For an indicator result of several keys: one outcome per key, each reported as its own check. */
  readonly members?: readonly CheckOutcome[];
}

/** What a probe reports of one check now: its outcome, when that was produced and, for some policies, its streak. */
export interface CheckReading {
  readonly check: RegisteredCheck;
  readonly outcome: CheckOutcome;
  /** When the outcome was produced (epoch ms); 0 for a background check before its first result. */
  readonly time: number;
  /** Raw results in a row with the same status (positive passing), for checks in the background or with thresholds. */
  readonly streak?: number;
}

/**
 * Whether an outcome leaves its check degraded: still serving, but impaired. A passing outcome that
 * says so (a terminus indicator's `degraded`, or `degraded: true` in its data), or a failing one of
 * a non-critical check, which does not fail its probe. The one home of this rule.
 */
export function isDegraded(outcome: CheckOutcome, critical = true): boolean {
  if (!outcome.status) return !critical;
  return outcome.indicator?.status === 'degraded' || outcome.data.degraded === true;
}

/** Whether two outcomes report the same: every field a body, a log line or an observer shows. */
export function sameOutcome(a: CheckOutcome, b: CheckOutcome): boolean {
  if (a === b) return true;
  if (a.name !== b.name || a.status !== b.status || a.reason !== b.reason || a.error !== b.error) return false;
  if (a.indicator?.status !== b.indicator?.status || a.indicator?.statusFirst !== b.indicator?.statusFirst)
    return false;
  const members = a.members ?? [];
  const others = b.members ?? [];
  if (members.length !== others.length || !members.every((member, i) => sameOutcome(member, others[i]))) return false;
  return sameJson(a.data, b.data);
}

/** Deep equality of JSON values (data is a bounded JSON copy), key order included: it shows in the body. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keys = Object.keys(a);
  const others = Object.keys(b);
  if (keys.length !== others.length) return false;
  return keys.every(
    (key, i) => key === others[i] && sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
  );
}
