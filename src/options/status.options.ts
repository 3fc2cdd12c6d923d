import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import type { HeartbeatStatusPageOptions } from '../interfaces/heartbeat-options.interface.js';
import { MODULE_OWNER as OWNER, readNested } from './option-reader.js';
import { BOOLEAN, falseOrObject, optional, wholeNumber } from './option-rules.js';

/** The status page's options with their defaults; `null` is `statusPage: false`. */
export interface ResolvedStatusOptions {
  /** Whether the app's port serves the page without `routeDecorators` guarding it. */
  readonly public: boolean;
  readonly historySize: number;
  readonly historyLimit: number;
  readonly maxSubscribers: number;
  readonly keepAliveMs: number;
}

const RULES = {
  public: BOOLEAN,
  historySize: wholeNumber(1, 1000),
  historyLimit: wholeNumber(1, 100_000),
  maxSubscribers: wholeNumber(1, 1000),
  keepAliveMs: wholeNumber(10, MAX_TIMER_MS),
};
const STATUS_PAGE = falseOrObject('status page options');

/** Checks `statusPage` and applies its defaults (50 transitions per check, 5000 in all, 32 subscribers, 15 s keep-alive). */
export function resolveStatusOptions(statusPage: unknown): ResolvedStatusOptions | null {
  optional(OWNER, 'statusPage', statusPage, STATUS_PAGE);
  if (statusPage === false) return null;
  const {
    public: isPublic = false,
    historySize = 50,
    historyLimit = 5000,
    maxSubscribers = 32,
    keepAliveMs = 15_000,
  } = readNested(OWNER, 'statusPage', statusPage, RULES) as HeartbeatStatusPageOptions;
  return { public: isPublic, historySize, historyLimit, maxSubscribers, keepAliveMs };
}
