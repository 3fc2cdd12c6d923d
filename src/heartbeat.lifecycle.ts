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
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { SHUTDOWN_DELAY } from './heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from './heartbeat.options.js';
import { HeartbeatService } from './heartbeat.service.js';

/**
 * Carries the app through SIGTERM without lost requests: readiness fails at once, then the close
 * waits `shutdownDelayMs` while the app still serves, then Nest closes as usual.
 */
@Injectable()
export class ShutdownCoordinator
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  private terminating = false;
  private drained: Promise<void> | null = null;
  private readonly onSigterm = () => {
    this.terminating = true;
    this.service.markShuttingDown();
    if (this.options.shutdownDelayMs > 0) this.options.logger?.log(SHUTDOWN_DELAY(this.options.shutdownDelayMs));
  };

  constructor(
    private readonly service: HeartbeatService,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onApplicationBootstrap(): void {
    // Only when the app already handles SIGTERM (`enableShutdownHooks()`): a listener of ours alone
    // would stop Node from ending the process on SIGTERM. Prepended, so readiness fails before Nest
    // starts closing anything.
    if (process.listenerCount('SIGTERM') > 0) process.prependListener('SIGTERM', this.onSigterm);
    // Nest 12 awaits the adapter's beforeClose() before any onModuleDestroy hook: waiting there keeps
    // every module's resources up during the delay. Nest 11 has no such step; onModuleDestroy waits instead.
    const adapter = this.adapterHost?.httpAdapter as { beforeClose?: () => unknown } | undefined;
    if (adapter) {
      const beforeClose = adapter.beforeClose?.bind(adapter);
      adapter.beforeClose = async () => {
        await this.drain();
        await beforeClose?.();
      };
    }
  }

  onModuleDestroy(): Promise<void> {
    return this.drain();
  }

  beforeApplicationShutdown(): void {
    this.service.markShuttingDown();
  }

  onApplicationShutdown(): void {
    process.removeListener('SIGTERM', this.onSigterm);
  }

  /** Waits the shutdown delay once, and only when the close was caused by SIGTERM. */
  private drain(): Promise<void> {
    if (!this.terminating || this.options.shutdownDelayMs === 0) return Promise.resolve();
    this.drained ??= new Promise((resolve) => setTimeout(resolve, this.options.shutdownDelayMs));
    return this.drained;
  }
}
