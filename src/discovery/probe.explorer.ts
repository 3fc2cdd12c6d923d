import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import { DECORATOR_OWNER, REQUEST_SCOPED_PROBE } from '../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { CheckHandler } from '../interfaces/probe.interface.js';
import { checkNameOf, readDecoratorOptions } from '../options/check-options.rules.js';
import { ProbeMetadataAccessor } from './probe-metadata.accessor.js';
import type { RegisteredCheck } from './probe.registry.js';

type InstanceWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/** Finds the decorated probe methods of every provider and controller (once, at bootstrap). */
@Injectable()
export class ProbeExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly accessor: ProbeMetadataAccessor,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
  ) {}

  /**
   * Every decorated method as a check, providers first, then controllers, in Nest's order. Throws
   * an error naming the decorator, `Class.method` and the option for options it cannot use.
   */
  explore(): RegisteredCheck[] {
    const found: RegisteredCheck[] = [];
    for (const wrapper of this.discovery.getProviders()) this.exploreWrapper(wrapper, found);
    for (const wrapper of this.discovery.getControllers()) this.exploreWrapper(wrapper, found);
    return found;
  }

  private exploreWrapper(wrapper: InstanceWrapper, found: RegisteredCheck[]): void {
    const instance: unknown = wrapper.instance;
    // An alias (`useExisting`) shares its target's instance, which is explored through the target.
    if (!instance || typeof instance !== 'object' || wrapper.isAlias) return;
    const prototype: object | null = Object.getPrototypeOf(instance);
    if (!prototype) return;
    const names = this.accessor.getProbeMethodNames(prototype);
    if (names.length === 0) return;
    const target = instance as Record<string, unknown>;
    const className = (instance.constructor as { name?: string } | undefined)?.name || String(wrapper.name);
    for (const methodName of names) {
      const method = target[methodName];
      const probes = this.accessor.getProbes(method);
      if (probes.length === 0) continue;
      if (!wrapper.isDependencyTreeStatic()) {
        this.options.logger?.warn(REQUEST_SCOPED_PROBE(`${className}@${methodName}`));
        continue;
      }
      const handler = (method as (...args: unknown[]) => unknown).bind(instance) as CheckHandler;
      const source = `${className}.${methodName}`;
      for (const { kind, options: given } of probes) {
        // Validated here, at bootstrap, rather than where the decorator is applied (at import).
        const owner = DECORATOR_OWNER(kind, source);
        const options = readDecoratorOptions(owner, given, kind);
        found.push({
          kind,
          name: checkNameOf(owner, options, methodName, methodName),
          source,
          handler,
          options,
          trusted: false,
        });
      }
    }
  }
}
