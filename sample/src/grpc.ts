import type { INestApplication } from '@nestjs/common';
import { type MicroserviceOptions, Transport } from '@nestjs/microservices';
import { HeartbeatGrpcHealth } from 'nestjs-heartbeat';
import { fileURLToPath } from 'node:url';

/** The sample's proto, beside its sources and its build alike. */
const PROTO = fileURLToPath(new URL('../proto/sample.proto', import.meta.url));

/**
 * Makes the app a hybrid one (k8s/deployment-grpc.yaml): a Nest gRPC microservice on `url` serving
 * the sample's `sample.Echo`, and beside it, on the same server, the standard health service
 * `grpc.health.v1.Health` answered from the probes (`HeartbeatGrpcHealth.addToServer`), which the
 * kubelet's `grpc:` probes call. The module needs `grpc: true` (see app.module.ts).
 */
export async function startGrpc(app: INestApplication, url: string): Promise<void> {
  app.connectMicroservice<MicroserviceOptions>({
    transport: Transport.GRPC,
    options: {
      url,
      package: 'sample',
      protoPath: PROTO,
      onLoadPackageDefinition: (_pkg, server) => app.get(HeartbeatGrpcHealth).addToServer(server),
    },
  });
  // The health service is ready once the module is initialised: before the microservice starts.
  await app.init();
  await app.startAllMicroservices();
}
