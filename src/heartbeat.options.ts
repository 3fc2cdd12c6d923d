import { Logger, type LoggerService } from '@nestjs/common';
import { DEFAULT_FAILURE_STATUS_CODE, DEFAULT_TIMEOUT_MS } from './heartbeat.constants.js';
import { INVALID_OPTION } from './heartbeat.messages.js';
import type { HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';
import { assertNonNegativeNumbers } from './probe.registry.js';

/** The module's options with every default applied, validated once at bootstrap. */
export interface ResolvedHeartbeatOptions {
  readonly failureStatusCode: number;
  readonly timeoutMs: number;
  readonly cacheTtlMs: number;
  readonly details: 'always' | 'never';
  readonly logger: LoggerService | null;
}

/** Applies defaults and throws a readable error for an option that cannot work. */
export function resolveOptions(options: HeartbeatModuleOptions | undefined): ResolvedHeartbeatOptions {
  const {
    failureStatusCode = DEFAULT_FAILURE_STATUS_CODE,
    timeoutMs = DEFAULT_TIMEOUT_MS,
    cacheTtlMs = 0,
    details = 'always',
    logger,
  } = options ?? {};
  if (!Number.isInteger(failureStatusCode) || failureStatusCode < 400 || failureStatusCode > 599) {
    throw new Error(INVALID_OPTION('failureStatusCode', 'an integer from 400 to 599', failureStatusCode));
  }
  assertNonNegativeNumbers('HeartbeatModule', { timeoutMs, cacheTtlMs });
  if (details !== 'always' && details !== 'never') {
    throw new Error(INVALID_OPTION('details', "'always' or 'never'", details));
  }
  return {
    failureStatusCode,
    timeoutMs,
    cacheTtlMs,
    details,
    logger: logger === false ? null : (logger ?? new Logger('Heartbeat')),
  };
}
