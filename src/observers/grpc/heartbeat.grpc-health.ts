import { HEALTH_PROBES, type HealthProbe } from '../../probe/probe-kinds.js';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../../heartbeat.constants.js';
import { GRPC_NOT_ENABLED, GRPC_NOT_READY, GRPC_PACKAGE_MISSING, TRANSPORT_FAILED } from '../../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../../heartbeat.options.js';
import { HeartbeatService } from '../../heartbeat.service.js';
import type { GrpcHealthServer } from '../../interfaces/grpc-health.interface.js';
import { importPackage, loadPeer, PACKAGE_LOADER, type PackageLoader } from '../../util/package-loader.js';
import { oneLine, reasonOf } from '../../util/text.js';
import { ProbeEvaluator } from '../../run/probe-evaluator.js';
import { evaluateProbe } from '../../report/evaluation.js';
import {
  type Callback,
  GRPC_SERVICES,
  GRPC_STATUS,
  type HealthCall,
  type HealthCheckPackage,
  type HealthHandlers,
  type HealthImplementationLike,
  type HealthWatchCall,
  lookUpService,
  servicesOf,
} from './grpc-health.protocol.js';
import { GrpcWatchers } from './grpc-watchers.js';

/**
 * The standard gRPC Health Checking Protocol (`grpc.health.v1.Health`) answered from the probes.
 * `grpc-health-check`'s `HealthImplementation` speaks the protocol for the served services
 * (`GRPC_SERVICES`; any other name is answered here: NOT_FOUND, SERVICE_UNKNOWN, INVALID_ARGUMENT);
 * this feeds it: `Check`, `List` and a new `Watch` evaluate their probes first, as an HTTP probe
 * does, and every change of a check (`changes$`), of rotation or shutdown, and each evaluation on
 * the watch period reaches the `Watch` streams. Add it to a gRPC server of the app
 * with `addToServer(server)`, or let `grpcPort` serve it on a server of the module's own.
 */
@Injectable()
export class HeartbeatGrpcHealth implements OnModuleInit, OnApplicationShutdown {
  private health: HealthImplementationLike | null = null;
  private handlers: HealthHandlers | null = null;
  private readonly statuses = new Map<string, 'SERVING' | 'NOT_SERVING'>();
  private readonly subscriptions: Subscription[] = [];
  private readonly watchers: GrpcWatchers;

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly evaluator: ProbeEvaluator,
    private readonly service: HeartbeatService,
    @Optional() @Inject(PACKAGE_LOADER) private readonly load: PackageLoader = importPackage,
  ) {
    this.watchers = new GrpcWatchers(options.grpc.watchIntervalMs, (probes) =>
      Promise.all(probes.map((probe) => this.refresh(probe))),
    );
  }

  async onModuleInit(): Promise<void> {
    const { enabled, port } = this.options.grpc;
    if (!enabled) return;
    const name = 'grpc-health-check';
    const option = port === null ? 'grpc: true' : 'grpcPort';
    const loaded = await loadPeer<HealthCheckPackage>(this.load, name, 'HealthImplementation', (reason) =>
      GRPC_PACKAGE_MISSING(option, name, reason),
    );
    const health = new loaded.HealthImplementation(
      Object.fromEntries(Object.keys(GRPC_SERVICES).map((service) => [service, 'UNKNOWN'])),
    );
    health.addToServer({ addService: (_definition, handlers) => (this.handlers = handlers) });
    this.health = health;
    this.subscriptions.push(
      // A check's change: its probe's status as state() holds it, without running a check.
      this.service.changes$.subscribe(({ probe }) => {
        if (probe === 'environ') return;
        const { status } = this.service.state().probes[probe];
        if (status !== null) this.publish(probe, status);
      }),
      this.evaluator.rotation$.subscribe((inRotation) =>
        inRotation ? void this.refresh('readiness') : this.publish('readiness', false),
      ),
    );
  }

  /** Ends every `Watch` stream and stops the watch period. */
  onApplicationShutdown(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
    this.watchers.close();
  }

  /**
   * Adds the `grpc.health.v1.Health` service to `server`, e.g. from the Nest gRPC transport's
   * `onLoadPackageDefinition: (pkg, server) => health.addToServer(server)`. Needs `grpc: true` (or `grpcPort`).
   */
  addToServer(server: GrpcHealthServer): void {
    const health = this.health;
    const handlers = this.handlers;
    if (!health || !handlers) throw new Error(this.options.grpc.enabled ? GRPC_NOT_READY : GRPC_NOT_ENABLED);
    const streams = new Set<HealthCall>();
    let definition: object | null = null;
    health.addToServer({ addService: (found) => (definition = found) });
    // A service the module does not serve is answered here: the library keeps an entry per name it
    // is asked about, for good, so only the served names ever reach it.
    server.addService(definition!, {
      check: (call: HealthCall, callback: Callback) => {
        const { probe, error } = lookUpService(call.request.service);
        if (error) return callback(error);
        void this.refresh(probe).then(() => handlers.check(call, callback));
      },
      list: (call: HealthCall, callback: Callback) =>
        void Promise.all(HEALTH_PROBES.map((probe) => this.refresh(probe))).then(() => handlers.list(call, callback)),
      watch: (call: HealthWatchCall) => {
        const { probe, error } = lookUpService(call.request.service);
        // Over-long: refused at once, so the call's copy of the name is not held by an open stream.
        if (error?.code === GRPC_STATUS.INVALID_ARGUMENT) return void call.emit('error', error);
        this.watchers.add(call, streams);
        if (this.watchers.isClosed) return;
        // Unknown: SERVICE_UNKNOWN and the stream stays open, as the protocol says (grpc.health.v1 Watch).
        if (!probe) return void call.write({ status: 'SERVICE_UNKNOWN' });
        void this.refresh(probe).then(() => {
          if (!call.cancelled && !this.watchers.isClosed) handlers.watch(call);
        });
      },
    });
    const tryShutdown = server.tryShutdown?.bind(server);
    if (tryShutdown) {
      // A Watch stream never ends by itself: a graceful shutdown would wait for it forever.
      server.tryShutdown = (callback) => {
        this.watchers.end(streams);
        tryShutdown(callback);
      };
    }
  }

  /** How many `Watch` streams are open. */
  get watching(): number {
    return this.watchers.size;
  }

  /** Evaluates `probe` as its HTTP route would and publishes its status; a failure to evaluate is NOT_SERVING. */
  private async refresh(probe: HealthProbe): Promise<void> {
    let status = false;
    try {
      status = (await evaluateProbe(this.evaluator, probe)).report.status;
    } catch (error) {
      this.logFailure(probe, error);
    }
    this.publish(probe, status);
  }

  /** Tells the protocol, and so the watchers, of a changed status; readiness never passes out of rotation. */
  private publish(probe: HealthProbe, passing: boolean): void {
    if (!this.health || this.watchers.isClosed) return;
    const status = passing && (probe !== 'readiness' || this.evaluator.isInRotation()) ? 'SERVING' : 'NOT_SERVING';
    for (const service of servicesOf(probe)) {
      if (this.statuses.get(service) === status) continue;
      this.statuses.set(service, status);
      this.health.setStatus(service, status);
    }
  }

  private logFailure(probe: HealthProbe, error: unknown): void {
    try {
      this.options.logger?.error(TRANSPORT_FAILED(probe, oneLine(reasonOf(error))));
    } catch {
      // A throwing logger costs its line only.
    }
  }
}
