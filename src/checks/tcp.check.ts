import { connect } from 'node:net';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { stopwatch } from './measure.js';

/** Options of `tcpCheck`. */
export interface TcpCheckOptions {
  host: string;
  port: number;
  /** Give up after this many milliseconds. Default 500. */
  timeoutMs?: number;
  /** Default `host:port`. */
  name?: string;
}

/** A TCP connect to `host:port`, closed at once. Reports `{ timeMs }`. */
export function tcpCheck(options: TcpCheckOptions): HeartbeatCheck {
  const { host, port, timeoutMs = 500 } = options;
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
