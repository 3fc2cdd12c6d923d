import { PROBE_NAMES, PROBE_ROUTES } from '../probe/probe-kinds.js';
import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { THREAD_ENTRY_UNKNOWN } from '../heartbeat.messages.js';
import { type ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { servedOnPort } from './served-probes.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import type { ManagementServerLimits } from './probe-http.js';
import { MARKS_BYTES, ProgressMarks, type WorkerConfig } from './thread.protocol.js';

/** Injection token of a `ThreadWorkerSource` (optional). */
export const HEARTBEAT_THREAD_WORKER = Symbol('HEARTBEAT_THREAD_WORKER');

/**
 * Where the worker comes from. `entry`: its file (default: `heartbeat.worker.js` beside this file in
 * dist/; tests running the TypeScript source point it at the build). `Worker`: the constructor, `null`
 * where worker threads are not available.
 * @internal
 */
export interface ThreadWorkerSource {
  readonly entry?: string;
  readonly Worker?: typeof Worker | null;
}

/** The worker's file beside this one in the build in use (dist/ or dist/esm/); unknown when not running from a build. */
export function defaultEntry(): string {
  if (typeof __dirname !== 'string') throw new Error(THREAD_ENTRY_UNKNOWN);
  return join(__dirname, 'heartbeat.worker.js');
}

/** The worker's configuration, the path of each probe it serves, and the progress marks it shares with the main thread. */
export function workerSetup(
  options: ResolvedHeartbeatOptions,
  prefix: string,
  limits: ManagementServerLimits,
): { config: WorkerConfig; routes: ReadonlyMap<ProbeKind, string>; marks: ProgressMarks } {
  const routes = new Map<ProbeKind, string>();
  for (const name of PROBE_NAMES) {
    const kind = PROBE_ROUTES[name];
    if (!routes.has(kind) && servedOnPort(options, kind)) routes.set(kind, prefix + name);
  }
  const shared = new SharedArrayBuffer(MARKS_BYTES);
  const { host, port, thread, failureStatusCode, responseFormat, statusPage } = options;
  const config: WorkerConfig = {
    host,
    port: port!,
    prefix,
    served: [...routes.keys()],
    limits,
    marks: shared,
    maxStallMs: thread!.maxStallMs,
    maxLagMs: thread!.maxLagMs,
    failureStatusCode: responseFormat === 'terminus' ? 503 : failureStatusCode,
    statusPage: statusPage !== null,
  };
  return { config, routes, marks: new ProgressMarks(new BigInt64Array(shared)) };
}
