import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { HEARTBEAT_RESOLVED_OPTIONS } from '../../heartbeat.constants.js';
import { GRPC_LISTEN_FAILED, GRPC_LISTENING, GRPC_PACKAGE_MISSING } from '../../heartbeat.messages.js';
import type { ResolvedHeartbeatOptions } from '../../heartbeat.options.js';
import type { GrpcHealthServer } from '../../interfaces/grpc-health.interface.js';
import { importPackage, loadPeer, PACKAGE_LOADER, type PackageLoader } from '../../util/package-loader.js';
import { HeartbeatGrpcHealth } from './heartbeat.grpc-health.js';

/**
 * How long a closing gRPC server lets calls under way finish (a `Check` waits for its checks, at
 * most their timeout) before the rest are cut.
 */
export const GRPC_SHUTDOWN_GRACE_MS = 2000;

/** A `@grpc/grpc-js` server, as far as the module uses one. */
interface GrpcServer extends GrpcHealthServer {
  bindAsync(address: string, credentials: unknown, callback: (error: Error | null, port: number) => void): void;
  tryShutdown(callback: (error?: Error) => void): void;
  forceShutdown(): void;
}

/** The part of `@grpc/grpc-js` the module uses. */
interface GrpcJs {
  Server: new (options?: object) => GrpcServer;
  ServerCredentials: { createInsecure(): unknown };
}

/**
 * The `grpcPort` option: a gRPC server owned by the module that serves only the health service, so
 * that any app (HTTP, microservice, application context) can have `grpc:` probes. It starts at
 * bootstrap and stops at shutdown, like the management port.
 */
@Injectable()
export class HeartbeatGrpcServer implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private grpc: GrpcJs | null = null;
  private server: GrpcServer | null = null;
  private bound: { host: string; port: number } | null = null;

  constructor(
    @Inject(HEARTBEAT_RESOLVED_OPTIONS) private readonly options: ResolvedHeartbeatOptions,
    private readonly health: HeartbeatGrpcHealth,
    @Optional() @Inject(PACKAGE_LOADER) private readonly load: PackageLoader = importPackage,
  ) {}

  /** Where the gRPC health server listens, once started; `null` without a `grpcPort` option. */
  address(): { host: string; port: number } | null {
    return this.bound && { ...this.bound };
  }

  async onModuleInit(): Promise<void> {
    if (this.options.grpc.port === null) return;
    const name = '@grpc/grpc-js';
    this.grpc = await loadPeer<GrpcJs>(this.load, name, 'Server', (reason) =>
      GRPC_PACKAGE_MISSING('grpcPort', name, reason),
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    const { port, host } = this.options.grpc;
    if (port === null || !this.grpc) return;
    const server = new this.grpc.Server();
    this.health.addToServer(server);
    // An IPv6 address is written in brackets before the port, as in a URL.
    const address = `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
    const bound = await new Promise<number>((resolve, reject) => {
      server.bindAsync(address, this.grpc!.ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(new Error(GRPC_LISTEN_FAILED(address, error.message), { cause: error })) : resolve(boundPort),
      );
    }).catch((error: unknown) => {
      server.forceShutdown();
      throw error;
    });
    this.server = server;
    this.bound = { host, port: bound };
    this.options.logger?.log(GRPC_LISTENING(`${address.slice(0, address.lastIndexOf(':'))}:${bound}`));
  }

  /** Ends the `Watch` streams, lets calls under way finish for up to `GRPC_SHUTDOWN_GRACE_MS`, then closes. */
  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.bound = null;
    await new Promise<void>((resolve) => {
      const cut = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, GRPC_SHUTDOWN_GRACE_MS);
      cut.unref();
      server.tryShutdown(() => {
        clearTimeout(cut);
        resolve();
      });
    });
  }
}
