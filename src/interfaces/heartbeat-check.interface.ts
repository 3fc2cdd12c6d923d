import type { CheckData } from './probe.interface.js';

/** What a ready-made check reports: `{ status, ...data }`, or a degraded terminus indicator entry keyed by its name. */
export type HeartbeatCheckResult =
  ({ status: boolean } & CheckData) | { readonly [name: string]: { readonly status: 'degraded' } & CheckData };

/**
 * A ready-made check (event loop, memory, disk, HTTP, TCP). Switch it on in `forRoot({ checks })`,
 * pass it to `ProbeRegistry.register(kind, check)`, or call `run()` from your own decorated method.
 */
export interface HeartbeatCheck {
  /** The check's default name in the report. */
  readonly name: string;
  /**
   * Runs the check once: `{ status, ...what it observed }`, or a terminus indicator entry
   * `{ [name]: { status: 'degraded', ... } }` when it passes degraded. Never rejects. A check that
   * declares `signal` receives the runner's, aborted when the check's timeout passes.
   */
  run(signal?: AbortSignal): Promise<HeartbeatCheckResult>;
  /** How the check appears in `application/health+json`. */
  readonly health?: { readonly componentType: string; readonly observedKey: string; readonly observedUnit: string };
  /** Releases what the check holds (e.g. the event-loop histogram); called at shutdown for configured checks. */
  dispose?(): void;
}
