import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { stopwatch } from './measure.js';

/** Options of `httpCheck`. */
export interface HttpCheckOptions {
  /** The dependency's URL (http or https). */
  url: string;
  /** Status codes that count as up: one code, a list, or a predicate. Default: 200-399. */
  expectedStatus?: number | number[] | ((status: number) => boolean);
  /** Give up after this many milliseconds. Default 500, below the module's check timeout. */
  timeoutMs?: number;
  /** Default: the URL's host. */
  name?: string;
}

/** An HTTP(S) dependency: one GET, the status checked. Reports `{ statusCode, timeMs }`. */
export function httpCheck(options: HttpCheckOptions): HeartbeatCheck {
  const { url, expectedStatus, timeoutMs = 500 } = options;
  const target = new URL(url);
  const expected =
    typeof expectedStatus === 'function'
      ? expectedStatus
      : Array.isArray(expectedStatus)
        ? (status: number) => expectedStatus.includes(status)
        : typeof expectedStatus === 'number'
          ? (status: number) => status === expectedStatus
          : (status: number) => status >= 200 && status < 400;
  return {
    name: options.name ?? target.host,
    health: { componentType: 'component', observedKey: 'timeMs', observedUnit: 'ms' },
    run() {
      const elapsed = stopwatch();
      return new Promise((resolve) => {
        const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
        const request = send(target, { method: 'GET', agent: false }, (response) => {
          const statusCode = response.statusCode ?? 0;
          response.resume();
          response.on('end', () => {
            clearTimeout(timer);
            resolve({ status: expected(statusCode), statusCode, timeMs: elapsed() });
          });
        });
        const timer = setTimeout(() => {
          request.destroy();
          resolve({ status: false, timeMs: elapsed(), message: `no answer within ${timeoutMs} ms` });
        }, timeoutMs);
        request.on('error', (error: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          resolve({ status: false, timeMs: elapsed(), message: `request failed: ${error.code ?? error.message}` });
        });
        request.end();
      });
    },
  };
}
