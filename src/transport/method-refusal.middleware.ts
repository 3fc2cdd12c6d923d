import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../heartbeat.constants.js';
import type { ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';
import { matchPath } from '../probe/route-table.js';
import { ALLOWED_METHODS, REFUSED } from './probe-answers.js';
import { writeProbeResponse } from './probe-http.js';
import { servedOnApp } from './served-probes.js';

/** The request as both adapters hand it to middleware: Express's adds `originalUrl`. */
type MiddlewareRequest = IncomingMessage & { originalUrl?: string };

/**
 * Answers every method other than GET and HEAD under the prefix on the app's port, as the
 * management port does: 405 with `Allow: GET, HEAD` on a probe's route, the module's 404 elsewhere.
 * The controller's routes cannot do it for all of them: Nest routes no TRACE, and Fastify 404s a
 * method it does not know (ACL, PURGE...) or 400s a QUERY without a body before any route runs.
 * GET and HEAD go on to the controller (and the app's guards).
 */
@Injectable()
export class MethodRefusalMiddleware implements NestMiddleware {
  /** `/<path>/`, which the request's path holds after any global prefix. */
  private readonly marker: string;

  constructor(@Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions) {
    this.marker = `/${options.path}/`;
  }

  use(request: MiddlewareRequest, response: ServerResponse, next: () => void): void {
    const refused = this.refusal(request.method ?? 'GET', request.originalUrl ?? request.url ?? '');
    if (!refused) return next();
    writeProbeResponse(response, REFUSED[refused], refused === 405 ? { allow: ALLOWED_METHODS } : {});
  }

  /**
   * Fastify's `onRequest` hook doing what `use` does. Nest middleware on Fastify runs through middie,
   * which cost a GET probe about 10 µs (a third of the route); a hook that lets GET pass costs nothing.
   */
  readonly onRequest = (
    request: { method: string; url: string; raw: MiddlewareRequest },
    reply: { hijack(): void; raw: ServerResponse },
    done: () => void,
  ): void => {
    const refused = this.refusal(request.method, request.url);
    if (!refused) return done();
    reply.hijack();
    writeProbeResponse(reply.raw, REFUSED[refused], refused === 405 ? { allow: ALLOWED_METHODS } : {});
  };

  /** What a request with `method` on `url` is refused with under the prefix, `null` to let it pass. */
  private refusal(method: string, url: string): 400 | 404 | 405 | null {
    if (method === 'GET' || method === 'HEAD') return null;
    const queryAt = url.indexOf('?');
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const at = path.indexOf(this.marker);
    if (at === -1) return null;
    const route = matchPath(path.slice(at + this.marker.length));
    if (route === 'malformed') return 400;
    return route === null || !this.served(route.kind) ? 404 : 405;
  }

  private readonly served = (kind: ProbeKind): boolean => servedOnApp(this.options, kind);
}
