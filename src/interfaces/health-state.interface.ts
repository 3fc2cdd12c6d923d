import type { CheckData, ProbeKind } from './probe.interface.js';

/** What the module knows of one check: its last result and how long it has been in its state. */
export interface CheckHealth {
  /** The check's registered name (a result tuple may report it under another). */
  readonly name: string;
  /** Who registered it (`Class.method`). */
  readonly source: string;
  /** `null` until the check has run once. */
  readonly status: boolean | null;
  /** A non-critical check (`critical: false`) does not fail its probe. */
  readonly critical: boolean;
  /** Serving but impaired: failing while non-critical, or passing with a `degraded` result. */
  readonly degraded: boolean;
  /** Why it fails, as probe bodies may show it; absent while it passes or has not run. */
  readonly reason?: string;
  /** The data of its last result, as bodies show it. */
  readonly data: Readonly<CheckData>;
  /**
   * How long the call behind its last result had run, in milliseconds: until it settled, or until
   * the timeout when it timed out (a call still pending from an earlier probe counts from its start).
   */
  readonly durationMs: number | null;
  /** When its last result was produced (epoch ms). */
  readonly checkedAt: number | null;
  /** Since when it has been in its current status (epoch ms). */
  readonly since: number | null;
  /** How many raw results in a row have failed (0 after a pass). */
  readonly consecutiveFailures: number;
  /** How many raw results in a row have passed (0 after a failure). */
  readonly consecutiveSuccesses: number;
  /**
   * The raw last result. It differs from `status` while a threshold holds the reported status
   * (`failureThreshold`, `successThreshold`); `null` before the first result.
   */
  readonly lastResult: { readonly status: boolean; readonly reason?: string } | null;
  /** `'background'`: the check runs every `intervalMs` and probes answer its last result; `'request'`: it runs on each probe. */
  readonly mode: 'background' | 'request';
  /** 0 for a check that runs on each probe. */
  readonly intervalMs: number;
  readonly failureThreshold: number;
  readonly successThreshold: number;
  /** Whether the status is the failure of a background result older than `staleAfterMs` (its loop is stuck). */
  readonly stale: boolean;
}

/** What the module knows of one probe: its checks and their aggregate. */
export interface ProbeHealth {
  /**
   * `true` when every critical check passes, `false` when one fails (for readiness also while the
   * instance is shutting down or out of rotation; for startup, `true` for good once it has passed),
   * `null` while a critical check has not run yet.
   */
  readonly status: boolean | null;
  /** Passing with a degraded check (a failing non-critical one, or a `degraded` result). */
  readonly degraded: boolean;
  readonly checks: readonly CheckHealth[];
}

/** A snapshot of the health state (`HeartbeatService.state()`). */
export interface HealthSnapshot {
  /** When the snapshot was taken (epoch ms). */
  readonly time: number;
  readonly shuttingDown: boolean;
  readonly inRotation: boolean;
  readonly probes: Readonly<Record<ProbeKind, ProbeHealth>>;
}

/** A check that changed status (`HeartbeatService.changes$`). */
export interface HealthChange {
  readonly probe: ProbeKind;
  /** The check's registered name. */
  readonly check: string;
  readonly source: string;
  readonly status: boolean;
  /** Whether the check is now degraded (failing while non-critical, or passing with a `degraded` result). */
  readonly degraded: boolean;
  /** `null` on the check's first result. */
  readonly previous: boolean | null;
  /** Why it now fails, as probe bodies may show it; absent when it now passes. */
  readonly reason?: string;
  /** When the result was produced (epoch ms). */
  readonly time: number;
  /** How long the call behind the result ran (`null` for a stale background result, which no call produced). */
  readonly durationMs: number | null;
}
