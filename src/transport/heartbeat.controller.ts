import { PROBE_ROUTES } from '../probe/probe-kinds.js';
import {
  Controller,
  HttpStatus,
  Inject,
  Req,
  RequestMapping,
  RequestMethod,
  Res,
  type Type,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { HEARTBEAT_RESOLVED_OPTIONS, HEARTBEAT_STATUS_PAGES } from '../heartbeat.constants.js';
import type { StatusPages } from '../interfaces/status-pages.interface.js';
import { type ResolvedHeartbeatOptions } from '../heartbeat.options.js';
import { servedOnApp } from './served-probes.js';
import { decideRoute, routeOf } from '../probe/route-table.js';
import { NOT_FOUND_BODY, PROBE_HEADERS, transportFailure } from './probe-answers.js';
import { ProbeSerializer, type ProbeResponse } from '../report/probe.serializer.js';
import { parseView } from '../probe/probe-view.js';
import type { ProbeKind } from '../interfaces/probe.interface.js';

/** What the controller reads of a request, on Express and Fastify alike. */
interface ProbeRequest {
  method?: string;
  url?: string;
  params?: Record<string, string | undefined>;
  query?: Record<string, unknown>;
  headers?: Record<string, string | string[] | undefined>;
}

/** The controller's own members, which the generated route handlers call. */
interface ProbeAnswering {
  handle(request: ProbeRequest, response: unknown, probe: string, check?: string): Promise<void>;
}

/**
 * The metadata keys `@nestjs/swagger` reads (the same in its versions 7 to 12), set here without
 * depending on it: `@ApiExcludeController()` on the class, `@ApiOperation()` on a handler.
 */
const OPENAPI_EXCLUDE_CONTROLLER = 'swagger/apiExcludeController';
const OPENAPI_OPERATION = 'swagger/apiOperation';

/**
 * Builds the controller serving the probes under `path`. It is a thin transport: the route table
 * (`matchRoute`) and the service decide what is answered; the controller writes it to the response
 * itself (`@Res()`), so that the app's global interceptors, serializers and filters, which see the
 * handler's result, cannot rewrap or re-encode a probe's body: the handler's result is `undefined`.
 * `openApi` documents the GET routes in Swagger; without it the controller is left out.
 */
export function createHeartbeatController(
  path: string,
  decorators: readonly ClassDecorator[] = [],
  openApi = false,
): Type<unknown> {
  @Controller({ path, version: VERSION_NEUTRAL })
  class HeartbeatController implements ProbeAnswering {
    constructor(
      private readonly serializer: ProbeSerializer,
      private readonly adapterHost: HttpAdapterHost,
      @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
      @Inject(HEARTBEAT_STATUS_PAGES) private readonly statusPages: StatusPages,
    ) {}

    /** Answers a GET or HEAD the route table matched: the probe's answer, else the module's 404. */
    async handle(request: ProbeRequest, response: unknown, probe: string, check?: string): Promise<void> {
      if (check === undefined && this.statusPages.serveApp(probe, request, response)) return;
      const requested = routeOf(probe, check);
      const match = decideRoute(request.method ?? 'GET', requested, this.served);
      const adapter = this.adapterHost.httpAdapter;
      if (match.refused !== undefined) {
        for (const [name, value] of Object.entries(PROBE_HEADERS)) adapter.setHeader(response, name, value);
        // Only GET and HEAD reach the controller: what it refuses is a name that is no probe, or a probe
        // not served here (environ kept private answers as a route that is not there).
        return adapter.reply(response, NOT_FOUND_BODY, HttpStatus.NOT_FOUND);
      }
      const { route } = match;
      let answer: ProbeResponse;
      try {
        // Express parses the query string on each read of request.query: read it only when there is one.
        const query = request.url?.includes('?') === false ? undefined : request.query;
        const view = parseView(query, request.headers?.accept);
        answer = await this.serializer.respond(
          route.kind,
          route.check === undefined ? view : { ...view, check: route.check },
        );
      } catch (error) {
        answer = transportFailure(route.kind, error, this.options.failureStatusCode, this.options.logger);
      }
      adapter.setHeader(response, 'Content-Type', answer.contentType);
      adapter.setHeader(response, 'Cache-Control', PROBE_HEADERS['Cache-Control']);
      adapter.reply(response, answer.body, answer.statusCode);
    }

    private readonly served = (kind: ProbeKind): boolean => servedOnApp(this.options, kind);
  }
  defineProbeRoutes(HeartbeatController.prototype, path);
  if (!openApi) Reflect.defineMetadata(OPENAPI_EXCLUDE_CONTROLLER, [true], HeartbeatController);
  for (const decorate of decorators) decorate(HeartbeatController);
  return HeartbeatController;
}

/**
 * The controller's routes. Under a prefix the module owns every path: `:probe` and `:probe/:check`
 * (GET and HEAD; other methods are the middleware's). Under an empty prefix only each probe's GET routes.
 */
function defineProbeRoutes(prototype: ProbeAnswering, path: string): void {
  if (path !== '') {
    // Under its prefix the module owns every path: `:probe` and `:probe/:check` reach the route table,
    // so that unknown names get the module's 404; every other method is answered before any route, by
    // the module's middleware (method-refusal.middleware.ts). No route is a wildcard.
    defineRoute(prototype, 'probe', RequestMethod.GET, ':probe', (self, request, response) =>
      self.handle(request, response, param(request, 'probe')),
    );
    defineRoute(prototype, 'check', RequestMethod.GET, ':probe/:check', (self, request, response) =>
      self.handle(request, response, param(request, 'probe'), param(request, 'check')),
    );
    document(prototype, 'probe', 'A probe: readiness, liveliness, startup or environ');
    document(prototype, 'check', 'One check of the readiness, liveliness or startup probe');
  } else {
    // Under an empty prefix a `:probe` route would take the app's own one-segment routes: serve each
    // probe's GET routes by name, and leave every other path and method to the app.
    for (const probe of Object.keys(PROBE_ROUTES)) {
      defineRoute(prototype, probe, RequestMethod.GET, probe, (self, request, response) =>
        self.handle(request, response, probe),
      );
      document(prototype, probe, `The ${probe} probe`);
      if (PROBE_ROUTES[probe as keyof typeof PROBE_ROUTES] === 'environ') continue;
      defineRoute(prototype, `${probe}Check`, RequestMethod.GET, `${probe}/:check`, (self, request, response) =>
        self.handle(request, response, probe, param(request, 'check')),
      );
      document(prototype, `${probe}Check`, `One check of the ${probe} probe`);
    }
  }
}

/** Names a documented GET route's operation for OpenAPI (`@ApiOperation({ summary })`). */
function document(prototype: ProbeAnswering, key: string, summary: string): void {
  Reflect.defineMetadata(OPENAPI_OPERATION, { summary }, Reflect.get(prototype, key));
}

/** Adds a route handler `key` to the controller's prototype, taking the request and the response it answers. */
function defineRoute(
  prototype: ProbeAnswering,
  key: string,
  method: RequestMethod,
  path: string | string[],
  handle: (self: ProbeAnswering, request: ProbeRequest, response: unknown) => unknown,
): void {
  Object.defineProperty(prototype, key, {
    value: function (this: ProbeAnswering, request: ProbeRequest, response: unknown) {
      return handle(this, request, response);
    },
    configurable: true,
    writable: true,
  });
  Req()(prototype, key, 0);
  Res()(prototype, key, 1);
  RequestMapping({ path, method })(prototype, key, Object.getOwnPropertyDescriptor(prototype, key)!);
}

/** A route parameter, decoded by the adapter. */
function param(request: ProbeRequest, name: string): string {
  return request.params?.[name] ?? '';
}
