import { DEFAULT_MAX_LAG_MS, DEFAULT_MAX_STALL_MS, MAX_TIMER_MS } from '../heartbeat.constants.js';
import { INVALID_OPTION } from '../heartbeat.messages.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-options.interface.js';
import { applyRules, MODULE_OWNER as OWNER } from './option-reader.js';
import { BOOLEAN, numberRule, required } from './option-rules.js';

/** The options of the management port's worker thread, once `thread: true` is validated. */
export interface ResolvedThreadOptions {
  readonly maxStallMs: number;
  readonly maxLagMs: number;
}

/** The options `thread: true` adds. */
export const THREAD_OPTIONS = ['thread', 'maxStallMs', 'maxLagMs'] as const;

const wholeMsFrom = (from: number) =>
  numberRule(`a whole number of milliseconds from ${from} to ${MAX_TIMER_MS}`, { from, to: MAX_TIMER_MS, whole: true });

/** `thread`, `maxStallMs` and `maxLagMs`, checked against each other and `port` and `intervalMs`; `null` without `thread`. */
export function resolveThreadOptions(
  options: HeartbeatModuleOptions,
  intervalMs: number,
): ResolvedThreadOptions | null {
  const { thread = false } = applyRules(OWNER, options, { thread: BOOLEAN }) as HeartbeatModuleOptions;
  const { port, maxStallMs = DEFAULT_MAX_STALL_MS, maxLagMs = DEFAULT_MAX_LAG_MS } = options;
  if (!thread) {
    for (const name of ['maxStallMs', 'maxLagMs'] as const) {
      if (options[name] !== undefined)
        throw new Error(INVALID_OPTION(name, 'left out unless thread is true', options[name]));
    }
    return null;
  }
  if (port === undefined) {
    throw new Error(
      INVALID_OPTION('thread', 'false unless a port is set (the worker serves the management port)', thread),
    );
  }
  if (intervalMs === 0) {
    const expected = 'from 100 with thread: true (checks run in the background; the worker never runs them)';
    throw new Error(INVALID_OPTION('intervalMs', expected, intervalMs));
  }
  return {
    maxStallMs: required(OWNER, 'maxStallMs', maxStallMs, wholeMsFrom(500)),
    maxLagMs: required(OWNER, 'maxLagMs', maxLagMs, wholeMsFrom(100)),
  };
}
