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
 * The Theil-Sen slope of `ys` over their index (bytes per reading): the median of the slopes between
 * every pair of readings. A leak lifts every later reading by the same step, while one reading lifted
 * by noise (code the engine kept from that round, a late collection) moves it little, where a
 * least-squares fit or a first-to-last difference follows the spike.
 */
export function medianSlope(ys: readonly number[]): number {
  const slopes: number[] = [];
  for (let i = 0; i < ys.length; i++) for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  slopes.sort((a, b) => a - b);
  const middle = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[middle] : (slopes[middle - 1] + slopes[middle]) / 2;
}
