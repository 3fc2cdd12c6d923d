import {
  Controller,
  type DynamicModule,
  Inject,
  type MiddlewareConsumer,
  Module,
  Optional,
  type NestModule,
  RequestMethod,
  VERSION_NEUTRAL,
} from '@nestjs/common';
import { DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import {
  HEARTBEAT_METRICS_EXPOSITION,
  HEARTBEAT_RESOLVED_OPTIONS,
  HEARTBEAT_ROUTE,
  HEARTBEAT_ROUTE_PATH,
  HEARTBEAT_STATUS_PAGES,
  type HeartbeatRouteDeclaration,
} from './heartbeat.constants.js';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  HEARTBEAT_MODULE_OPTIONS,
  OPTIONS_TYPE,
} from './heartbeat.module-definition.js';
import { KNOWN_OPTIONS, resolveOptions, type ResolvedHeartbeatOptions } from './heartbeat.options.js';
import { readForRootAsyncOptions, readForRootOptions } from './options/declaration-options.js';
import { HeartbeatService } from './heartbeat.service.js';
import { ShutdownCoordinator } from './transport/heartbeat.lifecycle.js';
import { HeartbeatManagementServer } from './transport/heartbeat.management-server.js';
import { HEARTBEAT_THREAD_WORKER } from './transport/thread.setup.js';
import { MethodRefusalMiddleware } from './transport/method-refusal.middleware.js';
import { ProbeMetadataAccessor } from './discovery/probe-metadata.accessor.js';
import { ProbeExplorer } from './discovery/probe.explorer.js';
import { CheckSetup } from './heartbeat.setup.js';
import { ProbeRegistry } from './discovery/probe.registry.js';
import { ProbeRunner } from './run/probe.runner.js';
import { BackgroundScheduler } from './run/background.scheduler.js';
import { HealthState } from './state/health-state.js';
import { ProbeEvaluator } from './run/probe-evaluator.js';
import { ProbeSerializer } from './report/probe.serializer.js';
import { HeartbeatMetrics } from './observers/metrics/heartbeat.metrics.js';
import { HeartbeatGrpcHealth } from './observers/grpc/heartbeat.grpc-health.js';
import { HeartbeatGrpcServer } from './observers/grpc/heartbeat.grpc-server.js';
import { HeartbeatStatus } from './observers/status/heartbeat.status.js';

/**
 * The route prefix once the options are known. A `path` from the `forRootAsync` factory is applied
 * to the controller here: Nest reads a controller's path when it registers routes in `app.init()`,
 * after every provider (this one included) has been created.
 */
function routePath(options: ResolvedHeartbeatOptions, route: HeartbeatRouteDeclaration): string {
  Controller({ path: options.path, version: VERSION_NEUTRAL })(route.controller);
  return options.path;
}

/**
 * Kubernetes probe endpoints for a Nest app: `HeartbeatModule.forRoot(options?)` or
 * `HeartbeatModule.forRootAsync({ imports, inject, useFactory | useClass | useExisting })`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: HEARTBEAT_RESOLVED_OPTIONS,
      useFactory: resolveOptions,
      inject: [HEARTBEAT_MODULE_OPTIONS, HEARTBEAT_ROUTE],
    },
    { provide: HEARTBEAT_ROUTE_PATH, useFactory: routePath, inject: [HEARTBEAT_RESOLVED_OPTIONS, HEARTBEAT_ROUTE] },
    ProbeRegistry,
    HealthState,
    ProbeRunner,
    BackgroundScheduler,
    ProbeEvaluator,
    ProbeSerializer,
    ProbeMetadataAccessor,
    ProbeExplorer,
    CheckSetup,
    HeartbeatService,
    ShutdownCoordinator,
    HeartbeatManagementServer,
    // `thread: true` loads the worker from the build; tests override where from (overrideProvider).
    { provide: HEARTBEAT_THREAD_WORKER, useValue: {} },
    HeartbeatMetrics,
    // The management port serves /metrics through this token: a transport does not import an observer.
    { provide: HEARTBEAT_METRICS_EXPOSITION, useExisting: HeartbeatMetrics },
    HeartbeatGrpcHealth,
    HeartbeatGrpcServer,
    HeartbeatStatus,
    { provide: HEARTBEAT_STATUS_PAGES, useExisting: HeartbeatStatus },
  ],
  exports: [
    HeartbeatService,
    ProbeRegistry,
    HeartbeatManagementServer,
    HeartbeatMetrics,
    HeartbeatGrpcHealth,
    HeartbeatGrpcServer,
  ],
})
export class HeartbeatModule extends ConfigurableModuleClass implements NestModule {
  constructor(
    @Inject(HEARTBEAT_ROUTE_PATH) private readonly routePath: string,
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    super();
  }

  /**
   * Under a prefix, methods other than GET and HEAD get the module's 405 (or 404), as on the
   * management port: a Nest middleware on Express, an `onRequest` hook on Fastify (see its doc).
   */
  configure(consumer: MiddlewareConsumer): void {
    if (this.routePath === '') return;
    const adapter = this.adapterHost?.httpAdapter;
    if (adapter?.getType() === 'fastify') {
      const fastify = adapter.getInstance<{ addHook(name: 'onRequest', hook: unknown): void }>();
      return fastify.addHook('onRequest', new MethodRefusalMiddleware(this.options).onRequest);
    }
    consumer.apply(MethodRefusalMiddleware).forRoutes({ path: `${this.routePath}/{*rest}`, method: RequestMethod.ALL });
  }

  /** The module with `options` (every one optional): `HeartbeatModule.forRoot()` serves the seed's routes. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    const declare = () => super.forRoot(readForRootOptions(options, KNOWN_OPTIONS) as typeof OPTIONS_TYPE);
    return declaredOrFailing(declare, () => super.forRoot({}));
  }

  /** The module with options made by a factory (`useFactory`, `useClass` or `useExisting`) once their dependencies exist. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    const declare = () =>
      super.forRootAsync(readForRootAsyncOptions(options, KNOWN_OPTIONS) as typeof ASYNC_OPTIONS_TYPE);
    return declaredOrFailing(declare, () => super.forRoot({}));
  }
}

/** The module `declare` makes, or, when its options cannot be read, `fallback()` failing at bootstrap. */
function declaredOrFailing(declare: () => DynamicModule, fallback: () => DynamicModule): DynamicModule {
  try {
    return declare();
  } catch (error) {
    return failingAtBootstrap(fallback(), error);
  }
}

/**
 * The module declared with default options whose options provider throws `error`: a bad argument
 * of `forRoot` or `forRootAsync` fails the bootstrap, as every other bad option does, rather than
 * the import of the app's module.
 */
function failingAtBootstrap(module: DynamicModule, error: unknown): DynamicModule {
  const fail = (): never => {
    throw error;
  };
  const providers = (module.providers ?? []).map((provider) =>
    typeof provider === 'object' && 'provide' in provider && provider.provide === HEARTBEAT_MODULE_OPTIONS
      ? { provide: HEARTBEAT_MODULE_OPTIONS, useFactory: fail }
      : provider,
  );
  return { ...module, providers };
}
