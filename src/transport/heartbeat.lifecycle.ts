import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
  Optional,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { SHUTDOWN_DELAY } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { ProbeEvaluator } from '../run/probe-evaluator.js';

/** What the shutdown needs of an HTTP server (`http.Server`, `https.Server`, an HTTP/2 server allowing HTTP/1). */
type DrainableServer = Pick<Server, 'prependListener' | 'removeListener'> &
  Partial<Pick<Server, 'closeIdleConnections'>>;

/**
 * Makes every response `server` sends from now on carry `Connection: close`, so that keep-alive
 * clients reconnect (to another pod) instead of holding this one open, and a busy connection ends
 * with its response instead of keeping `server.close()` waiting. Returns the function that undoes it.
 */
export function closeConnectionsAfterResponse(server: DrainableServer): () => void {
  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    // HTTP/2 forbids connection headers; its sessions are closed by the server's own close.
    if (request.httpVersionMajor < 2 && !response.headersSent) response.setHeader('Connection', 'close');
  };
  // Prepended: the header is set before the app's own handler can start the response.
  server.prependListener('request', onRequest);
  return () => server.removeListener('request', onRequest);
}

/**
 * The one SIGTERM listener of the module, shared by every app in the process. It is installed only
 * while some other SIGTERM listener exists (Nest's, after `enableShutdownHooks()`, whenever that is
 * called): a listener of ours alone would stop Node from ending the process on SIGTERM.
 */
const sigterm = {
  subscribers: new Set<() => void>(),
  relay(): void {
    for (const subscriber of [...sigterm.subscribers]) subscriber();
  },
  installed(): boolean {
    return process.listeners('SIGTERM').includes(sigterm.relay);
  },
  // 'newListener' runs before the listener is added: ours goes first, so readiness fails before
  // Nest starts closing anything.
  onNewListener(event: string | symbol, listener: unknown): void {
    if (event === 'SIGTERM' && listener !== sigterm.relay && !sigterm.installed()) {
      process.prependListener('SIGTERM', sigterm.relay);
    }
  },
  // 'removeListener' runs after the removal: once only ours is left (Nest unsubscribes after its
  // close), ours goes too, so a re-raised or later SIGTERM ends the process as Node would.
  onRemoveListener(event: string | symbol, listener: unknown): void {
    if (event !== 'SIGTERM' || listener === sigterm.relay) return;
    if (process.listeners('SIGTERM').every((remaining) => remaining === sigterm.relay)) {
      process.removeListener('SIGTERM', sigterm.relay);
    }
  },
  subscribe(subscriber: () => void): void {
    if (sigterm.subscribers.size === 0) {
      process.on('newListener', sigterm.onNewListener);
      process.on('removeListener', sigterm.onRemoveListener);
    }
    sigterm.subscribers.add(subscriber);
    const others = process.listeners('SIGTERM').some((listener) => listener !== sigterm.relay);
    if (others && !sigterm.installed()) process.prependListener('SIGTERM', sigterm.relay);
  },
  unsubscribe(subscriber: () => void): void {
    if (!sigterm.subscribers.delete(subscriber) || sigterm.subscribers.size > 0) return;
    process.removeListener('newListener', sigterm.onNewListener);
    process.removeListener('removeListener', sigterm.onRemoveListener);
    process.removeListener('SIGTERM', sigterm.relay);
  },
};

/**
 * Carries the app through SIGTERM without lost requests: readiness fails at once and responses say
 * `Connection: close`, then the close waits `shutdownDelayMs` while the app still serves, then Nest
 * closes as usual and idle keep-alive connections are closed with the server.
 */
@Injectable()
export class ShutdownCoordinator
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private terminating = false;
  private drained: Promise<void> | null = null;
  private stopClosingConnections: (() => void) | null = null;
  private readonly onSigterm = () => {
    // A second SIGTERM changes nothing: the delay already runs, and Nest ignores it too.
    if (this.terminating) return;
    this.terminating = true;
    this.evaluator.markShuttingDown();
    this.closeConnectionsAfterResponse();
    if (this.options.shutdownDelayMs > 0) this.options.logger?.log(SHUTDOWN_DELAY(this.options.shutdownDelayMs));
  };

  constructor(
    private readonly evaluator: ProbeEvaluator,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    sigterm.subscribe(this.onSigterm);
    // Nest 12 awaits the adapter's beforeClose() before any onModuleDestroy hook: waiting there keeps
    // every module's resources up during the delay. Nest 11 has no such step; onModuleDestroy waits instead.
    const adapter = this.adapterHost?.httpAdapter as
      { beforeClose?: () => unknown; close?: () => unknown; getHttpServer?: () => unknown } | undefined;
    if (!adapter) return;
    const beforeClose = adapter.beforeClose?.bind(adapter);
    adapter.beforeClose = async () => {
      // Also for a close without SIGTERM: a keep-alive client must not keep app.close() waiting.
      this.closeConnectionsAfterResponse();
      await this.drain();
      await beforeClose?.();
    };
    const close = adapter.close?.bind(adapter);
    if (close) {
      adapter.close = () => {
        const closing = close();
        // Once the server has stopped listening (Express does so at once), idle keep-alive connections
        // can go: no request can come on them that another connection could not have been refused.
        const server = this.httpServer();
        if (server?.closeIdleConnections && !(server as Partial<Server>).listening) server.closeIdleConnections();
        return closing;
      };
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.drain();
  }

  beforeApplicationShutdown(): void {
    this.evaluator.markShuttingDown();
  }

  onApplicationShutdown(): void {
    sigterm.unsubscribe(this.onSigterm);
    this.stopClosingConnections?.();
    this.stopClosingConnections = null;
  }

  /** Waits the shutdown delay once, and only when the close was caused by SIGTERM. */
  private drain(): Promise<void> {
    if (!this.terminating || this.options.shutdownDelayMs === 0) return Promise.resolve();
    this.drained ??= new Promise((resolve) => setTimeout(resolve, this.options.shutdownDelayMs));
    return this.drained;
  }

  private closeConnectionsAfterResponse(): void {
    const server = this.httpServer();
    if (server && !this.stopClosingConnections) this.stopClosingConnections = closeConnectionsAfterResponse(server);
  }

  /** The app's HTTP server, when the app has one that emits Node's 'request' events. */
  private httpServer(): DrainableServer | null {
    const adapter = this.adapterHost?.httpAdapter as { getHttpServer?: () => unknown } | undefined;
    const server = adapter?.getHttpServer?.() as Partial<DrainableServer> | null | undefined;
    return typeof server?.prependListener === 'function' && typeof server.removeListener === 'function'
      ? (server as DrainableServer)
      : null;
  }
}
