import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** The heap in use after a full collection (`--expose-gc` switched on for this process at run time). */
export function heapAfterGc(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * The least-squares slope of `readings` (bytes per reading): a leak lifts every later reading by
 * the same step, while a single high reading (code the engine compiled, a buffer kept for reuse)
 * moves the fitted line by a fraction of its height.
 */
export function slopePerReading(readings: readonly number[]): number {
  const n = readings.length;
  const meanX = (n - 1) / 2;
  const meanY = readings.reduce((sum, y) => sum + y, 0) / n;
  let covariance = 0;
  let variance = 0;
  readings.forEach((y, x) => {
    covariance += (x - meanX) * (y - meanY);
    variance += (x - meanX) ** 2;
  });
  return covariance / variance;
}
