import { statfs } from 'node:fs/promises';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { numberOption, textOption } from './check-options.js';
import { roundTenth } from './measure.js';

/** Options of `diskCheck`. */
export interface DiskCheckOptions {
  /** A path on the file system to watch. */
  path: string;
  /** Fail when fewer bytes than this are free. */
  minFreeBytes?: number;
  /** Fail when less than this percentage of the file system is free. */
  minFreePercent?: number;
  /** Default `disk`. */
  name?: string;
}

const BYTES_RULE = { from: 0, expected: 'a number of bytes from 0' };
const PERCENT_RULE = { from: 0, to: 100, expected: 'a percentage from 0 to 100' };

/** Free space of the file system holding `path` (`fs.statfs`), in bytes or percent. Reports `{ freeBytes, freePercent, … }`. */
export function diskCheck(options: DiskCheckOptions): HeartbeatCheck {
  const path = textOption('diskCheck', 'path', options.path, 'a non-empty path');
  const minFreeBytes = numberOption('diskCheck', 'minFreeBytes', options.minFreeBytes, BYTES_RULE);
  const minFreePercent = numberOption('diskCheck', 'minFreePercent', options.minFreePercent, PERCENT_RULE);
  const { name = 'disk' } = options;
  return {
    name,
    health: { componentType: 'system', observedKey: 'freeBytes', observedUnit: 'bytes' },
    async run() {
      try {
        const stats = await statfs(path);
        const freeBytes = stats.bavail * stats.bsize;
        const totalBytes = stats.blocks * stats.bsize;
        const freePercent = totalBytes > 0 ? roundTenth((freeBytes / totalBytes) * 100) : 0;
        const status =
          (minFreeBytes === undefined || freeBytes >= minFreeBytes) &&
          (minFreePercent === undefined || freePercent >= minFreePercent);
        return {
          status,
          freeBytes,
          freePercent,
          ...(minFreeBytes === undefined ? {} : { minFreeBytes }),
          ...(minFreePercent === undefined ? {} : { minFreePercent }),
        };
      } catch (error) {
        return {
          status: false,
          message: `cannot stat the file system: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        };
      }
    },
  };
}
