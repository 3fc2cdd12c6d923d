/**
 * A gRPC server, as far as `HeartbeatGrpcHealth.addToServer` uses it: `@grpc/grpc-js`'s `Server`,
 * which Nest's gRPC transport hands to `onLoadPackageDefinition(pkg, server)`.
 */
export interface GrpcHealthServer {
  addService(service: object, implementation: object): void;
  /** Wrapped so that a graceful shutdown first ends the health `Watch` streams (which never end by themselves). */
  tryShutdown?(callback: (error?: Error) => void): void;
}
