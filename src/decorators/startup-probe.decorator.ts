import type { CheckOptions } from '../interfaces/probe.interface.js';
import { createProbeDecorator } from './probe-decorator.factory.js';

/**
 * Registers the method as a startup check: slow initialisation (warm-up, migrations). The startup
 * probe fails until every startup check has passed once, then passes for good.
 */
export function StartupProbe(nameOrOptions?: string | CheckOptions): MethodDecorator {
  return createProbeDecorator('startup', nameOrOptions);
}
