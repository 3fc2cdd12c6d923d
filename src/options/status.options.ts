import { MAX_TIMER_MS } from '../heartbeat.constants.js';
import type { HeartbeatStatusPageOptions } from '../interfaces/heartbeat-options.interface.js';
import { applyRules, readOptions } from './option-reader.js';
import { BOOLEAN, isObject, numberRule, optional, rule } from './option-rules.js';

/** The status page's options with their defaults; `null` is `statusPage: false`. */
export interface ResolvedStatusOptions {
  /** Whether the app's port serves the page without `routeDecorators` guarding it. */
  readonly public: boolean;
  readonly historySize: number;
  readonly historyLimit: number;
  readonly maxSubscribers: number;
  readonly keepAliveMs: number;
}

/** The keys of the `statusPage` option. */
export const STATUS_OPTIONS = ['public', 'historySize', 'historyLimit', 'maxSubscribers', 'keepAliveMs'];

const OWNER = 'HeartbeatModule';
const whole = (from: number, to: number) =>
  numberRule(`a whole number from ${from} to ${to}`, { from, to, whole: true });
const RULES = {
  public: BOOLEAN,
  historySize: whole(1, 1000),
  historyLimit: whole(1, 100_000),
  maxSubscribers: whole(1, 1000),
  keepAliveMs: whole(10, MAX_TIMER_MS),
};
const STATUS_PAGE = rule<false | object>(
  'false or an object of status page options',
  (value) => value === false || isObject(value),
);

/** Checks `statusPage` and applies its defaults (50 transitions per check, 5000 in all, 32 subscribers, 15 s keep-alive). */
export function resolveStatusOptions(statusPage: unknown): ResolvedStatusOptions | null {
  optional(OWNER, 'statusPage', statusPage, STATUS_PAGE);
  if (statusPage === false) return null;
  const given = readOptions(statusPage, {
    owner: OWNER,
    label: 'statusPage',
    prefix: 'statusPage.',
    known: STATUS_OPTIONS,
  });
  const {
    public: isPublic = false,
    historySize = 50,
    historyLimit = 5000,
    maxSubscribers = 32,
    keepAliveMs = 15_000,
  } = applyRules(OWNER, given, RULES, 'statusPage.') as HeartbeatStatusPageOptions;
  return { public: isPublic, historySize, historyLimit, maxSubscribers, keepAliveMs };
}
