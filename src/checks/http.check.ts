import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { readOptions } from '../options/option-reader.js';
import {
  arrayOf,
  CHECK_NAME,
  either,
  FUNCTION,
  numberRule,
  optional,
  required,
  rule,
  TIMEOUT,
} from '../options/option-rules.js';
import { maskUrlCredentials } from '../util/redact.js';
import { reasonOf } from '../util/text.js';
import { getStatus } from './http-get.js';
import { stopwatch } from './measure.js';

/** Options of `httpCheck`. */
export interface HttpCheckOptions {
  /** The dependency's URL (http or https); a password in it is sent as Basic auth, never reported. */
  url: string;
  /** Status codes that count as up: one code, a list, or a predicate. Default: 200-399. */
  expectedStatus?: number | number[] | ((status: number) => boolean);
  /** Give up after this many milliseconds, 1 to 2^31-1. Default 500, below the module's check timeout. */
  timeoutMs?: number;
  /** Default: the URL's host. */
  name?: string;
}

const OWNER = 'httpCheck()';
const KNOWN: readonly (keyof HttpCheckOptions)[] = ['url', 'expectedStatus', 'timeoutMs', 'name'];
// Our own test: Node's ERR_INVALID_URL would carry the raw URL, password included, in `input`.
const URL_RULE = rule<string>(
  'an http: or https: URL',
  (value) => typeof value === 'string' && URL.canParse(value) && /^https?:$/.test(new URL(value).protocol),
);
const STATUS = numberRule('a status code', { from: 100, to: 599, whole: true });
const EXPECTED_STATUS = either(
  'a status code, a list of status codes or a function',
  either('', STATUS, arrayOf('', STATUS)),
  FUNCTION,
);

/**
 * An HTTP(S) dependency: one GET, decided on the status line; the body is never read (the
 * connection is closed as soon as the status is known). Reports `{ statusCode, timeMs }`.
 */
export function httpCheck(options: HttpCheckOptions): HeartbeatCheck {
  const given = readOptions(options ?? null, { owner: OWNER, label: 'options', prefix: '', known: KNOWN });
  const target = new URL(required(OWNER, 'url', given.url, URL_RULE));
  const timeoutMs = optional(OWNER, 'timeoutMs', given.timeoutMs, TIMEOUT) ?? 500;
  const expected = toPredicate(
    optional(OWNER, 'expectedStatus', given.expectedStatus, EXPECTED_STATUS) as HttpCheckOptions['expectedStatus'],
  );
  return {
    name: optional(OWNER, 'name', given.name, CHECK_NAME) ?? target.host,
    health: { componentType: 'component', observedKey: 'timeMs', observedUnit: 'ms' },
    async run() {
      const elapsed = stopwatch();
      const outcome = await getStatus(target, timeoutMs);
      if ('timedOut' in outcome)
        return { status: false, timeMs: elapsed(), message: `no answer within ${timeoutMs} ms` };
      // An error's message may hold the URL: its password is masked.
      if ('error' in outcome) {
        return { status: false, timeMs: elapsed(), message: maskUrlCredentials(`request failed: ${outcome.error}`) };
      }
      const { statusCode } = outcome;
      try {
        return { status: expected(statusCode) === true, statusCode, timeMs: elapsed() };
      } catch (error) {
        const message = maskUrlCredentials(`expectedStatus threw: ${reasonOf(error)}`);
        return { status: false, statusCode, timeMs: elapsed(), message };
      }
    },
  };
}

function toPredicate(expectedStatus: HttpCheckOptions['expectedStatus']): (status: number) => unknown {
  if (expectedStatus === undefined) return (status) => status >= 200 && status < 400;
  if (typeof expectedStatus === 'function') return expectedStatus;
  if (typeof expectedStatus === 'number') return (status) => status === expectedStatus;
  const codes = [...expectedStatus];
  return (status) => codes.includes(status);
}
