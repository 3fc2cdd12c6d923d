import type { CheckHealth, ProbeHealth } from '../../interfaces/health-state.interface.js';
import type { StatusLevel } from './status.source.js';

/**
 * Whether a check is degraded: a failing non-critical check (it does not fail its probe), or a
 * passing one whose data says so (a terminus indicator's `degraded`, or `degraded: true`). The one
 * place of this rule, until the state records it.
 */
export function isDegraded(check: Pick<CheckHealth, 'status' | 'critical' | 'data'>): boolean {
  if (check.status === false) return !check.critical;
  if (check.status !== true) return false;
  const data = check.data as Readonly<Record<string, unknown>> | undefined;
  return data?.degraded === true || data?.status === 'degraded';
}

/** A check's level on the page. */
export function checkLevel(check: Pick<CheckHealth, 'status' | 'critical' | 'data'>): StatusLevel {
  if (isDegraded(check)) return 'degraded';
  return check.status === null ? 'pending' : check.status ? 'pass' : 'fail';
}

/** A probe's level: its status, amber when it passes with a degraded check. */
export function probeLevel(probe: ProbeHealth): StatusLevel {
  if (probe.status === null) return 'pending';
  if (!probe.status) return 'fail';
  return probe.checks.some(isDegraded) ? 'degraded' : 'pass';
}
