import { DEFAULT_MAX_LAG_MS, DEFAULT_MAX_STALL_MS, MAX_TIMER_MS } from '../heartbeat.constants.js';
import { INVALID_OPTION } from '../heartbeat.messages.js';
import type { HeartbeatModuleOptions } from '../interfaces/heartbeat-options.interface.js';

/** The options of the management port's worker thread, once `thread: true` is validated. */
export interface ResolvedThreadOptions {
  readonly maxStallMs: number;
  readonly maxLagMs: number;
}

/** The options `thread: true` adds. */
export const THREAD_OPTIONS = ['thread', 'maxStallMs', 'maxLagMs'] as const;

/** `thread`, `maxStallMs` and `maxLagMs`, checked against each other and `port` and `intervalMs`; `null` without `thread`. */
export function resolveThreadOptions(
  options: HeartbeatModuleOptions | undefined,
  intervalMs: number,
): ResolvedThreadOptions | null {
  const { thread = false, port, maxStallMs = DEFAULT_MAX_STALL_MS, maxLagMs = DEFAULT_MAX_LAG_MS } = options ?? {};
  if (typeof thread !== 'boolean') throw new Error(INVALID_OPTION('thread', 'true or false', thread));
  if (!thread) {
    for (const name of ['maxStallMs', 'maxLagMs'] as const) {
      if (options?.[name] !== undefined)
        throw new Error(INVALID_OPTION(name, 'left out unless thread is true', options[name]));
    }
    return null;
  }
  if (port === undefined)
    throw new Error(
      INVALID_OPTION('thread', 'false unless a port is set (the worker serves the management port)', thread),
    );
  if (intervalMs === 0) {
    throw new Error(
      INVALID_OPTION(
        'intervalMs',
        'from 100 with thread: true (checks run in the background; the worker never runs them)',
        intervalMs,
      ),
    );
  }
  assertRange('maxStallMs', maxStallMs, 500);
  assertRange('maxLagMs', maxLagMs, 100);
  return { maxStallMs, maxLagMs };
}

function assertRange(option: string, value: unknown, min: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > MAX_TIMER_MS) {
    throw new Error(INVALID_OPTION(option, `a whole number of milliseconds from ${min} to ${MAX_TIMER_MS}`, value));
  }
}
