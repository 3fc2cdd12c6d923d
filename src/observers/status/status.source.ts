import type { Observable } from 'rxjs';
import type { HealthChange, HealthSnapshot } from '../../interfaces/health-state.interface.js';
import type { EnvironReport } from '../../interfaces/probe.interface.js';

/**
 * All the status page reads of the module: the state, its changes and the rotation switch
 * (`HeartbeatService` has them), so that it depends on none of the core's internals.
 */
export interface StatusSource {
  state(): HealthSnapshot;
  readonly changes$: Observable<HealthChange>;
  /** Whether the instance is in rotation, each time shutdown or the switch changes it. */
  readonly rotation$: Observable<boolean>;
  /** Whether it is shutting down (a rotation change to `false` is then the shutdown). */
  isShuttingDown(): boolean;
  /** The environ report, read only where environ is served. */
  environ(): Promise<EnvironReport>;
}

/** A check's or a probe's state as the page shows it: amber `degraded` is a pass that is impaired. */
export type StatusLevel = 'pass' | 'degraded' | 'fail' | 'pending';

/** One entry of the journal: a check's or a probe's transition, a rotation change or the shutdown. */
export interface StatusEntry {
  /** Increasing from 1: the SSE event id, and what `Last-Event-ID` resumes after. */
  readonly id: number;
  readonly type: 'check' | 'probe' | 'rotation' | 'shutdown';
  /** Epoch ms. */
  readonly time: number;
  readonly probe?: string;
  readonly check?: string;
  readonly from?: StatusLevel;
  readonly to?: StatusLevel;
  /** The outcome's message as probe bodies show it under `details` (never with `details: 'never'`). */
  readonly message?: string;
  readonly durationMs?: number | null;
  readonly inRotation?: boolean;
}
