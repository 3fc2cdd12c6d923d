import { connect } from 'node:net';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { numberOption, requiredNumberOption, textOption, TIMEOUT_RULE } from './check-options.js';
import { stopwatch } from './measure.js';

/** Options of `tcpCheck`. */
export interface TcpCheckOptions {
  /** Host name or address to connect to. */
  host: string;
  /** Port, 1 to 65535. */
  port: number;
  /** Give up after this many milliseconds, 1 to 2^31-1. Default 500. */
  timeoutMs?: number;
  /** Default `host:port`. */
  name?: string;
}

const PORT_RULE = { from: 1, to: 65535, whole: true, expected: 'a whole number from 1 to 65535' };

/** A TCP connect to `host:port`, closed at once. Reports `{ timeMs }`. */
export function tcpCheck(options: TcpCheckOptions): HeartbeatCheck {
  const host = textOption('tcpCheck', 'host', options.host, 'a non-empty host name or address');
  // Validated here: net.connect throws on a bad port, which would make run() reject.
  const port = requiredNumberOption('tcpCheck', 'port', options.port, PORT_RULE);
  const timeoutMs = numberOption('tcpCheck', 'timeoutMs', options.timeoutMs, TIMEOUT_RULE) ?? 500;
  return {
    name: options.name ?? `${host}:${port}`,
    health: { componentType: 'component', observedKey: 'timeMs', observedUnit: 'ms' },
    run() {
      const elapsed = stopwatch();
      return new Promise((resolve) => {
        const socket = connect({ host, port });
        const finish = (result: { status: boolean; timeMs: number; message?: string }) => {
          clearTimeout(timer);
          socket.destroy();
          resolve(result);
        };
        const timer = setTimeout(
          () => finish({ status: false, timeMs: elapsed(), message: `no connection within ${timeoutMs} ms` }),
          timeoutMs,
        );
        socket.once('connect', () => finish({ status: true, timeMs: elapsed() }));
        socket.once('error', (error: NodeJS.ErrnoException) =>
          finish({ status: false, timeMs: elapsed(), message: `connect failed: ${error.code ?? error.message}` }),
        );
      });
    },
  };
}
