import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { type InventoryControl, registerEnvironBuiltins } from './environ/environ.builtins.js';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { ENVIRON_KEPT_PRIVATE } from './heartbeat.messages.js';
import { type ResolvedHeartbeatOptions } from './heartbeat.options.js';
import { environKeptPrivate } from './transport/served-probes.js';
import { ProbeExplorer } from './discovery/probe.explorer.js';
import { ProbeRegistry } from './discovery/probe.registry.js';

/**
 * Where every check is registered, once, at module init, in this order: the built-in environ
 * contributors, the checks of the `checks` option, then the decorated methods the explorer finds
 * (checks added later with `ProbeRegistry.register` follow them). It also starts and stops what
 * the built-ins hold: the library inventory and the configured checks' resources.
 */
@Injectable()
export class CheckSetup implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private inventory?: InventoryControl;

  constructor(
    private readonly registry: ProbeRegistry,
    private readonly explorer: ProbeExplorer,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {}

  onModuleInit(): void {
    const { registry, options } = this;
    if (options.environ.enabled) this.inventory = registerEnvironBuiltins(registry, options);
    for (const { kind, check } of options.checks) registry.register(kind, check);
    registry.addAll(this.explorer.explore());
  }

  /**
   * Starts the library inventory once the app has bootstrapped (not during it, so it adds nothing
   * to the bootstrap), so that the first environ request usually finds it ready.
   */
  onApplicationBootstrap(): void {
    void this.inventory?.start();
    const { options } = this;
    if (environKeptPrivate(options)) {
      options.logger?.log(ENVIRON_KEPT_PRIVATE(options.path, process.env.NODE_ENV === 'production'));
    }
  }

  /** Stops an unfinished inventory and releases what the configured checks hold (the event-loop sampler). */
  onApplicationShutdown(): void {
    this.inventory?.stop();
    for (const { check } of this.options.checks) check.dispose?.();
  }
}
