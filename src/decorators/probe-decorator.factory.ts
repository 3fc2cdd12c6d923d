import { PROBE_METADATA, PROBE_METHODS_METADATA } from '../heartbeat.constants.js';
import type { ProbeKind, CheckOptions } from '../interfaces/probe.interface.js';

/** What one probe decorator records on a method. A method may carry several. */
export interface ProbeMetadata {
  kind: ProbeKind;
  /** The decorator's argument as given: validated (and copied) by the explorer at bootstrap. */
  options: string | CheckOptions | undefined;
}

/** A method decorator appending a probe registration; the explorer validates `options` at bootstrap, naming `Class.method`. */
export function createProbeDecorator(kind: ProbeKind, options?: string | CheckOptions): MethodDecorator {
  return (target, key, descriptor) => {
    const method = descriptor.value as object;
    const existing: ProbeMetadata[] = Reflect.getOwnMetadata(PROBE_METADATA, method) ?? [];
    Reflect.defineMetadata(PROBE_METADATA, [...existing, { kind, options }], method);
    // The class also lists its probe methods, so discovery reads a few names instead of every method.
    const methods: (string | symbol)[] = Reflect.getOwnMetadata(PROBE_METHODS_METADATA, target) ?? [];
    if (!methods.includes(key)) Reflect.defineMetadata(PROBE_METHODS_METADATA, [...methods, key], target);
    return descriptor;
  };
}
