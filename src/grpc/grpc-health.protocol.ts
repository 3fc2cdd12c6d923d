import type { HealthProbe } from '../run/probe-evaluator.js';

/**
 * The services of the health protocol and the probe each answers from: `""` (the whole server) and
 * `readiness` from readiness, `liveness` and `startup` from theirs, the names Kubernetes' docs
 * suggest for telling probes apart on one port.
 */
export const GRPC_SERVICES: Readonly<Record<string, HealthProbe>> = Object.freeze({
  '': 'readiness',
  readiness: 'readiness',
  liveness: 'liveliness',
  startup: 'startup',
});

/** The probe a service answers from, or `null` for a service the module does not serve. */
export function probeOfService(service: unknown): HealthProbe | null {
  return typeof service === 'string' && Object.hasOwn(GRPC_SERVICES, service) ? GRPC_SERVICES[service] : null;
}

/** The services that answer from `probe`. */
export function servicesOf(probe: HealthProbe): string[] {
  return Object.keys(GRPC_SERVICES).filter((service) => GRPC_SERVICES[service] === probe);
}

/** The part of `grpc-health-check` (2.x) the module uses. */
export interface HealthCheckPackage {
  HealthImplementation: new (statuses?: Record<string, string>) => HealthImplementationLike;
}

/** `grpc-health-check`'s `HealthImplementation`: the protocol (NOT_FOUND, SERVICE_UNKNOWN, List), fed with `setStatus`. */
export interface HealthImplementationLike {
  setStatus(service: string, status: 'SERVING' | 'NOT_SERVING'): void;
  addToServer(server: { addService(definition: object, implementation: HealthHandlers): void }): void;
}

/** What a health call carries, as far as the module reads it. */
export interface HealthCall {
  readonly request: { readonly service?: string };
  readonly cancelled: boolean;
  on(event: 'cancelled', listener: () => void): unknown;
  end(): void;
}

type Callback = (...args: unknown[]) => void;

/** The handlers `HealthImplementation` adds to a server. */
export interface HealthHandlers {
  check(call: HealthCall, callback: Callback): void;
  watch(call: HealthCall): void;
  list(call: HealthCall, callback: Callback): void;
}
