import { createServer, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROBE_HEADERS } from './probe-answers.js';
import type { ProbeResponse } from '../report/formats/response.js';

/*
 * The plain `node:http` side of the management port, free of Nest: the main-thread server and the
 * worker thread's server (`thread: true`) both build, start, stop and write through these.
 */

/** Limits of the management port's HTTP server; every time is in milliseconds. */
export interface ManagementServerLimits {
  /** Time a client has to send the request's headers (a slowloris is cut off after it). */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request. */
  readonly requestTimeoutMs: number;
  /** Time an idle keep-alive connection is kept after a response. */
  readonly keepAliveTimeoutMs: number;
  /** How often the server looks for connections past `headersTimeoutMs` or `requestTimeoutMs`. */
  readonly checkIntervalMs: number;
  /** Largest request head (request line and headers) accepted, in bytes; larger ones get 431. */
  readonly maxHeaderBytes: number;
}

/**
 * A probe is one small GET that the kubelet sends at once and gives up on after `timeoutSeconds`
 * (1 s by default). Node's defaults (60 s for the headers, checked every 30 s) let a client that
 * trickles a request line hold a socket for 60-90 s; these keep every socket short-lived.
 */
export const MANAGEMENT_SERVER_LIMITS: ManagementServerLimits = Object.freeze({
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  checkIntervalMs: 1_000,
  maxHeaderBytes: 8 * 1024,
});

/** Starts a server with `limits` on `host:port`; rejects with the listen error. */
export async function listenProbeServer(
  limits: ManagementServerLimits,
  host: string,
  port: number,
  listener: RequestListener,
): Promise<Server> {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, checkIntervalMs, maxHeaderBytes } = limits;
  const server = createServer(
    { maxHeaderSize: maxHeaderBytes, connectionsCheckingInterval: checkIntervalMs },
    listener,
  );
  server.headersTimeout = headersTimeoutMs;
  server.requestTimeout = requestTimeoutMs;
  server.keepAliveTimeout = keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Where `server` listens. */
export function addressOf(server: Server): { host: string; port: number } {
  const { address, port } = server.address() as AddressInfo;
  return { host: address, port };
}

/** `host:port` as in a URL, an IPv6 address in brackets. */
export function hostPort({ host, port }: { host: string; port: number }): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Stops accepting connections, closes the idle ones, and resolves once every connection has ended. */
export function closeProbeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

/**
 * Writes a probe response. `closing`: the app is shutting down, so a keep-alive poller is told to
 * reconnect and cannot hold the port open. `allow`: the `Allow` header of a 405.
 */
export function writeProbeResponse(
  response: ServerResponse,
  { statusCode, contentType, body }: ProbeResponse,
  { head = false, closing = false, allow }: { head?: boolean; closing?: boolean; allow?: string } = {},
): void {
  try {
    if (closing) response.setHeader('Connection', 'close');
    if (allow !== undefined) response.setHeader('Allow', allow);
    response.writeHead(statusCode, {
      'Content-Type': contentType,
      'Cache-Control': PROBE_HEADERS['Cache-Control'],
      'Content-Length': Buffer.byteLength(body),
    });
    response.end(head ? undefined : body);
  } catch {
    // The client went away (or the response was already sent): nothing is left to tell it.
    response.destroy();
  }
}
