import type { CheckData } from './probe.interface.js';

/**
 * A ready-made check (event loop, memory, disk, HTTP, TCP). Switch it on in `forRoot({ checks })`,
 * pass it to `ProbeRegistry.register(kind, check)`, or call `run()` from your own decorated method.
 */
export interface HeartbeatCheck {
  /** The check's default name in the report. */
  readonly name: string;
  /** Runs the check once: `{ status, ...what it observed }`. Never rejects. */
  run(): Promise<{ status: boolean } & CheckData>;
  /** How the check appears in `application/health+json`. */
  readonly health?: { readonly componentType: string; readonly observedKey: string; readonly observedUnit: string };
  /** Releases what the check holds (e.g. the event-loop histogram); called at shutdown for configured checks. */
  dispose?(): void;
}
