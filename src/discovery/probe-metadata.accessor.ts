import { Injectable } from '@nestjs/common';
import type { ProbeMetadata } from '../decorators/probe-decorator.factory.js';
import { PROBE_METADATA, PROBE_METHODS_METADATA } from '../heartbeat.constants.js';

const NONE: readonly string[] = [];

/** Reads what the probe decorators recorded on a method. */
@Injectable()
export class ProbeMetadataAccessor {
  /**
   * The names of the decorated probe methods of a prototype and of the classes it extends (a
   * subclass's override of a listed method is still checked for its own metadata by the caller).
   */
  getProbeMethodNames(prototype: object): readonly string[] {
    let names: string[] | null = null;
    for (
      let proto: object | null = prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      const own = Reflect.getOwnMetadata(PROBE_METHODS_METADATA, proto) as (string | symbol)[] | undefined;
      if (!own) continue;
      names ??= [];
      for (const name of own) if (typeof name === 'string' && !names.includes(name)) names.push(name);
    }
    return names ?? NONE;
  }

  /** The probe registrations of `method`, in the order the decorators were applied; empty if none. */
  getProbes(method: unknown): readonly ProbeMetadata[] {
    if (typeof method !== 'function') return [];
    return (Reflect.getOwnMetadata(PROBE_METADATA, method) as ProbeMetadata[] | undefined) ?? [];
  }
}
