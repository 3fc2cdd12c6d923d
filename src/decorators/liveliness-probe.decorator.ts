import type { CheckOptions } from '../interfaces/probe.interface.js';
import { createProbeDecorator } from './probe-decorator.factory.js';

/**
 * Registers the method as a liveliness (Kubernetes: liveness) check: is the process in a state it
 * cannot recover from? It should not depend on external systems.
 */
export function LivelinessProbe(nameOrOptions?: string | CheckOptions): MethodDecorator {
  return createProbeDecorator('liveliness', nameOrOptions);
}

/** The Kubernetes spelling of `@LivelinessProbe()`: the same probe. */
export const LivenessProbe = LivelinessProbe;
