import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { maskUrlCredentials } from '../redact.js';
import { numberOption, TIMEOUT_RULE } from './check-options.js';
import { INVALID_CHECK_OPTION } from './checks.messages.js';
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

type Result = { status: boolean; timeMs: number; statusCode?: number; message?: string };

/**
 * An HTTP(S) dependency: one GET, decided on the status line; the body is never read (the
 * connection is closed as soon as the status is known). Reports `{ statusCode, timeMs }`.
 */
export function httpCheck(options: HttpCheckOptions): HeartbeatCheck {
  const target = parseTarget(options.url);
  const timeoutMs = numberOption('httpCheck', 'timeoutMs', options.timeoutMs, TIMEOUT_RULE) ?? 500;
  const expected = toPredicate(options.expectedStatus);
  return {
    name: options.name ?? target.host,
    health: { componentType: 'component', observedKey: 'timeMs', observedUnit: 'ms' },
    run() {
      const elapsed = stopwatch();
      return new Promise<Result>((resolve) => {
        let settled = false;
        const settle = (result: Result) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          // A body that drips forever must neither hold the check nor fill memory.
          request.destroy();
          resolve(result.message === undefined ? result : { ...result, message: maskUrlCredentials(result.message) });
        };
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const request = send(target, { method: 'GET', agent: false }, (response) => {
          const statusCode = response.statusCode ?? 0;
          try {
            settle({ status: expected(statusCode) === true, statusCode, timeMs: elapsed() });
          } catch (error) {
            // A user predicate that throws here would otherwise escape as an uncaught exception.
            settle({ status: false, statusCode, timeMs: elapsed(), message: `expectedStatus threw: ${reason(error)}` });
          }
        });
        const timer = setTimeout(
          () => settle({ status: false, timeMs: elapsed(), message: `no answer within ${timeoutMs} ms` }),
          timeoutMs,
        );
        request.on('error', (error: NodeJS.ErrnoException) =>
          settle({ status: false, timeMs: elapsed(), message: `request failed: ${error.code ?? error.message}` }),
        );
        request.end();
      });
    },
  };
}

function parseTarget(url: unknown): URL {
  const target = typeof url === 'string' && URL.canParse(url) ? new URL(url) : undefined;
  if (target?.protocol !== 'http:' && target?.protocol !== 'https:') {
    // Our own error: Node's ERR_INVALID_URL carries the raw URL, password included, in `input`.
    throw new TypeError(INVALID_CHECK_OPTION('httpCheck', 'url', 'an http: or https: URL', url));
  }
  return target;
}

function toPredicate(expectedStatus: HttpCheckOptions['expectedStatus']): (status: number) => unknown {
  if (expectedStatus === undefined) return (status) => status >= 200 && status < 400;
  if (typeof expectedStatus === 'function') return expectedStatus;
  if (typeof expectedStatus === 'number') return (status) => status === expectedStatus;
  if (Array.isArray(expectedStatus) && expectedStatus.every((code) => typeof code === 'number')) {
    return (status) => expectedStatus.includes(status);
  }
  throw new TypeError(
    INVALID_CHECK_OPTION(
      'httpCheck',
      'expectedStatus',
      'a status code, a list of status codes or a function',
      expectedStatus,
    ),
  );
}

function reason(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(error);
}
