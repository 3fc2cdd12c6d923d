import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, numberRule, optional } from '../options/option-rules.js';

/** Options of `memoryCheck`; at least one threshold is usually given. */
export interface MemoryCheckOptions {
  /** Fail when the V8 heap in use exceeds this many bytes. */
  heapUsedMaxBytes?: number;
  /** Fail when the resident set size exceeds this many bytes. */
  rssMaxBytes?: number;
  /** Default `memory`. */
  name?: string;
}

const OWNER = 'memoryCheck()';
const BYTES = numberRule('a number of bytes above 0', { above: 0 });
const KNOWN: readonly (keyof MemoryCheckOptions)[] = ['heapUsedMaxBytes', 'rssMaxBytes', 'name'];

/** Heap used and RSS against thresholds. Reports `{ heapUsedBytes, rssBytes }` and the thresholds given. */
export function memoryCheck(options: MemoryCheckOptions = {}): HeartbeatCheck {
  const given = readOptions(options, { owner: OWNER, label: 'options', prefix: '', known: KNOWN });
  const heapUsedMaxBytes = optional(OWNER, 'heapUsedMaxBytes', given.heapUsedMaxBytes, BYTES);
  const rssMaxBytes = optional(OWNER, 'rssMaxBytes', given.rssMaxBytes, BYTES);
  return {
    name: optional(OWNER, 'name', given.name, CHECK_NAME) ?? 'memory',
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
