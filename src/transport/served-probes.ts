import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';

/** Whether the management port serves `kind`: every probe, environ unless it is switched off. */
export function servedOnPort(options: ResolvedHeartbeatOptions, kind: ProbeKind): boolean {
  return kind !== 'environ' || options.environ.enabled;
}

/** Whether the app's own HTTP server serves `kind`: environ stays off it once a management port serves the probes. */
export function servedOnApp(options: ResolvedHeartbeatOptions, kind: ProbeKind): boolean {
  if (kind === 'environ' && !options.environ.enabled) return false;
  return options.serveOn === 'app' || (options.serveOn === 'both' && kind !== 'environ');
}
