import { connect } from 'node:net';
import type { HeartbeatCheck } from '../interfaces/heartbeat-check.interface.js';
import { readOptions } from '../options/option-reader.js';
import { CHECK_NAME, HOST, numberRule, optional, required, TIMEOUT } from '../options/option-rules.js';
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

const OWNER = 'tcpCheck()';
const PORT = numberRule('a whole number from 1 to 65535', { from: 1, to: 65535, whole: true });
const KNOWN: readonly (keyof TcpCheckOptions)[] = ['host', 'port', 'timeoutMs', 'name'];

/** A TCP connect to `host:port`, closed at once. Reports `{ timeMs }`. */
export function tcpCheck(options: TcpCheckOptions): HeartbeatCheck {
  const given = readOptions(options ?? null, { owner: OWNER, label: 'options', prefix: '', known: KNOWN });
  const host = required(OWNER, 'host', given.host, HOST);
  // Validated here: net.connect throws on a bad port, which would make run() reject.
  const port = required(OWNER, 'port', given.port, PORT);
  const timeoutMs = optional(OWNER, 'timeoutMs', given.timeoutMs, TIMEOUT) ?? 500;
  return {
    name: optional(OWNER, 'name', given.name, CHECK_NAME) ?? `${host}:${port}`,
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
