import { statfs } from 'node:fs/promises';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, numberRule, optional, required, textRule } from '../options/option-rules.js';
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

const OWNER = 'diskCheck()';
const BYTES = numberRule('a number of bytes from 0', { from: 0 });
const PERCENT = numberRule('a percentage from 0 to 100', { from: 0, to: 100 });
const KNOWN: readonly (keyof DiskCheckOptions)[] = ['path', 'minFreeBytes', 'minFreePercent', 'name'];

/** Free space of the file system holding `path` (`fs.statfs`), in bytes or percent. Reports `{ freeBytes, freePercent, … }`. */
export function diskCheck(options: DiskCheckOptions): HeartbeatCheck {
  const given = readOptions(options, { owner: OWNER, label: 'options', prefix: '', known: KNOWN });
  const path = required(OWNER, 'path', given.path, textRule('a non-empty path'));
  const minFreeBytes = optional(OWNER, 'minFreeBytes', given.minFreeBytes, BYTES);
  const minFreePercent = optional(OWNER, 'minFreePercent', given.minFreePercent, PERCENT);
  const name = optional(OWNER, 'name', given.name, CHECK_NAME) ?? 'disk';
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
