import type { INestApplicationContext } from '@nestjs/common';
import { ProbeRegistry } from '../discovery/probe.registry.js';
import { HeartbeatService } from '../heartbeat.service.js';
import { isProbeName, PROBE_ROUTES, type ProbeName } from '../probe/probe-kinds.js';
import { TESTING_NO_MODULE, TESTING_UNKNOWN_PROBE } from '../heartbeat.messages.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';

/** What the helpers take: a Nest app, an application context or a compiled `TestingModule`. */
export type TestedApp = Pick<INestApplicationContext, 'get'>;

/** A probe as the helpers accept it: `readiness`, `liveness` (or `liveliness`), `startup`, `environ`. */
export type TestedProbe = ProbeName;

/** The module's facade in `app`, or an error saying the app has no HeartbeatModule. */
export function serviceOf(app: TestedApp, what: string): HeartbeatService {
  return find(app, HeartbeatService, what);
}

/** The module's registry in `app`. */
export function registryOf(app: TestedApp, what: string): ProbeRegistry {
  return find(app, ProbeRegistry, what);
}

function find<T>(app: TestedApp, type: abstract new (...args: never[]) => T, what: string): T {
  try {
    return app.get(type as never, { strict: false }) as T;
  } catch {
    throw new Error(TESTING_NO_MODULE(what));
  }
}

/** The probe a name means (`liveness` is `liveliness`); an error listing the probes otherwise. */
export function probeKindOf(name: unknown): ProbeKind {
  if (!isProbeName(name)) throw new Error(TESTING_UNKNOWN_PROBE(name));
  return PROBE_ROUTES[name];
}
