import type { ProbeHealth } from '../../interfaces/health-state.interface.js';
import type { StatusLevel } from './status.source.js';

/** A check's level on the page, from the state's status and its `degraded` flag (the state's rule). */
export function checkLevel(check: { readonly status: boolean | null; readonly degraded: boolean }): StatusLevel {
  if (check.degraded) return 'degraded';
  return check.status === null ? 'pending' : check.status ? 'pass' : 'fail';
}

/** A probe's level: its status, amber when it passes with a degraded check. */
export function probeLevel(probe: ProbeHealth): StatusLevel {
  if (probe.status === null) return 'pending';
  if (!probe.status) return 'fail';
  return probe.degraded ? 'degraded' : 'pass';
}
