import type { CheckOptions } from '../interfaces/probe.interface.js';
import { createProbeDecorator } from './probe-decorator.factory.js';

/**
 * Registers the method as an environ contributor. It returns `[status, data]` or `data`;
 * the data are merged shallowly into the environ report in registration order.
 */
export function EnvironProbe(options?: Omit<CheckOptions, 'name' | 'critical'>): MethodDecorator {
  return createProbeDecorator('environ', options);
}
