import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';

/** Options of `memoryCheck`; at least one threshold is usually given. */
export interface MemoryCheckOptions {
  /** Fail when the V8 heap in use exceeds this many bytes. */
  heapUsedMaxBytes?: number;
  /** Fail when the resident set size exceeds this many bytes. */
  rssMaxBytes?: number;
  /** Default `memory`. */
  name?: string;
}

/** Heap used and RSS against thresholds. Reports `{ heapUsedBytes, rssBytes }` and the thresholds given. */
export function memoryCheck(options: MemoryCheckOptions = {}): HeartbeatCheck {
  const { heapUsedMaxBytes, rssMaxBytes, name = 'memory' } = options;
  return {
    name,
    health: { componentType: 'system', observedKey: 'heapUsedBytes', observedUnit: 'bytes' },
    async run() {
      const { heapUsed, rss } = process.memoryUsage();
      const status =
        (heapUsedMaxBytes === undefined || heapUsed <= heapUsedMaxBytes) &&
        (rssMaxBytes === undefined || rss <= rssMaxBytes);
      return {
        status,
        heapUsedBytes: heapUsed,
        rssBytes: rss,
        ...(heapUsedMaxBytes === undefined ? {} : { heapUsedMaxBytes }),
        ...(rssMaxBytes === undefined ? {} : { rssMaxBytes }),
      };
    },
  };
}
