import { HEALTH_PROBES, PROBE_ROUTES, type HealthProbe } from '../../probe/probe-kinds.js';
import { GRPC_SERVICE_NAME_TOO_LONG, GRPC_UNKNOWN_SERVICE } from '../../heartbeat.messages.js';
import { maskUrlCredentials } from '../../util/redact.js';
import { oneLine } from '../../util/text.js';

/**
 * The services of the health protocol and the probe each answers from: `""` (the whole server)
 * from readiness, and every probe name of the HTTP routes (`liveness` and the seed's `liveliness`
 * alike) from its probe, the names Kubernetes' docs suggest for telling probes apart on one port.
 */
export const GRPC_SERVICES: Readonly<Record<string, HealthProbe>> = Object.freeze(
  Object.fromEntries<HealthProbe>([
    ['', 'readiness'],
    ...Object.entries(PROBE_ROUTES).filter((entry): entry is [string, HealthProbe] =>
      (HEALTH_PROBES as readonly string[]).includes(entry[1]),
    ),
  ]),
);

/**
 * The longest service name the module reads. The services it serves have a few characters, and
 * gRPC's `package.Service` names stay far below this; a longer name is refused at once, neither
 * kept, masked nor echoed (a 100 KiB name echoed in a status went past the client's header limit:
 * the call never answered and the channel stalled).
 */
export const MAX_GRPC_SERVICE_NAME_LENGTH = 256;
/** How much of an unknown service name a status message repeats (escaped, password masked). */
const ECHOED_NAME_LENGTH = 64;

/** The gRPC status codes the module answers with itself (grpc/status.h). */
export const GRPC_STATUS = Object.freeze({ INVALID_ARGUMENT: 3, NOT_FOUND: 5 });

/** A gRPC error status, as a handler passes it to a unary callback or emits it on a stream. */
export interface GrpcStatusError {
  readonly code: number;
  readonly details: string;
}

/** The probe a service answers from, or `null` for a service the module does not serve. */
export function probeOfService(service: unknown): HealthProbe | null {
  return typeof service === 'string' && Object.hasOwn(GRPC_SERVICES, service) ? GRPC_SERVICES[service] : null;
}

/**
 * What the module answers for `service` (absent: `""`): the probe it serves it from, or the error status of a
 * service it does not serve (NOT_FOUND for an unknown name, INVALID_ARGUMENT for a name over
 * `MAX_GRPC_SERVICE_NAME_LENGTH`), whose text is masked like every text that leaves the module.
 */
export function lookUpService(
  service = '',
): { readonly probe: HealthProbe; readonly error: null } | { readonly probe: null; readonly error: GrpcStatusError } {
  const probe = probeOfService(service);
  if (probe) return { probe, error: null };
  if (service.length > MAX_GRPC_SERVICE_NAME_LENGTH) {
    const details = GRPC_SERVICE_NAME_TOO_LONG(service.length, MAX_GRPC_SERVICE_NAME_LENGTH);
    return { probe: null, error: { code: GRPC_STATUS.INVALID_ARGUMENT, details: maskUrlCredentials(details) } };
  }
  // Masked whole before it is cut, so that a password the cut would split is masked too.
  const shown = oneLine(maskUrlCredentials(service), ECHOED_NAME_LENGTH);
  const details = GRPC_UNKNOWN_SERVICE(shown, Object.keys(GRPC_SERVICES));
  return { probe: null, error: { code: GRPC_STATUS.NOT_FOUND, details: maskUrlCredentials(details) } };
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

/** A `Watch` call, which the module answers itself for a service it does not serve. */
export interface HealthWatchCall extends HealthCall {
  write(message: { status: 'SERVICE_UNKNOWN' }): unknown;
  /** Ends the stream with this status (grpc-js's server streams do so on `error`). */
  emit(event: 'error', error: GrpcStatusError): unknown;
}

/** A unary call's callback. */
export type Callback = (...args: unknown[]) => void;

/** The handlers `HealthImplementation` adds to a server. */
export interface HealthHandlers {
  check(call: HealthCall, callback: Callback): void;
  watch(call: HealthCall): void;
  list(call: HealthCall, callback: Callback): void;
}
