import type { CheckOptions } from '../interfaces/probe.interface.js';
import { createProbeDecorator } from './probe-decorator.factory.js';

/**
 * Registers the method as a readiness check: should this instance receive traffic now?
 * The name defaults to the method's name; a returned tuple's name wins over both.
 */
export function ReadinessProbe(nameOrOptions?: string | CheckOptions): MethodDecorator {
  return createProbeDecorator('readiness', nameOrOptions);
}
