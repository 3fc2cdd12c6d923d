import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';

/** Whether the management port serves `kind`: every probe, environ unless it is switched off. */
export function servedOnPort(options: ResolvedHeartbeatOptions, kind: ProbeKind): boolean {
  return kind !== 'environ' || options.environ.enabled;
}

/**
 * Whether the app's own HTTP server serves `kind`: environ stays off it once a management port
 * serves the probes, and while it is private there (`environKeptPrivate`).
 */
export function servedOnApp(options: ResolvedHeartbeatOptions, kind: ProbeKind): boolean {
  if (kind === 'environ' && (!options.environ.enabled || environKeptPrivate(options))) return false;
  return options.serveOn === 'app' || (options.serveOn === 'both' && kind !== 'environ');
}

/**
 * Whether environ, which the app's port would serve, is kept off it: by default in production
 * (`NODE_ENV=production`), unless `environ.public` opts in or `routeDecorators` guard the routes.
 * The versions it lists tell an attacker which known vulnerabilities to try.
 */
export function environKeptPrivate(options: ResolvedHeartbeatOptions): boolean {
  return options.serveOn === 'app' && options.environ.enabled && !options.environ.public && !options.routeDecorated;
}
