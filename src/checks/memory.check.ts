import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { numberOption } from './check-options.js';

/** Options of `memoryCheck`; at least one threshold is usually given. */
export interface MemoryCheckOptions {
  /** Fail when the V8 heap in use exceeds this many bytes. */
  heapUsedMaxBytes?: number;
  /** Fail when the resident set size exceeds this many bytes. */
  rssMaxBytes?: number;
  /** Default `memory`. */
  name?: string;
}

const BYTES = { above: 0, expected: 'a number of bytes above 0' } as const;

/** Heap used and RSS against thresholds. Reports `{ heapUsedBytes, rssBytes }` and the thresholds given. */
export function memoryCheck(options: MemoryCheckOptions = {}): HeartbeatCheck {
  const heapUsedMaxBytes = numberOption('memoryCheck', 'heapUsedMaxBytes', options.heapUsedMaxBytes, BYTES);
  const rssMaxBytes = numberOption('memoryCheck', 'rssMaxBytes', options.rssMaxBytes, BYTES);
  return {
    name: options.name ?? 'memory',
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
