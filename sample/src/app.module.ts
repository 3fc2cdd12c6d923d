import { Module } from '@nestjs/common';
import { HeartbeatModule } from 'nestjs-heartbeat';
import { AppController } from './app.controller.js';
import { DatabaseService } from './database.service.js';
import { EchoController } from './echo.controller.js';
import { HealthChecks } from './health.checks.js';

@Module({
  imports: [
    HeartbeatModule.forRoot({
      failureStatusCode: 503,
      // k8s/deployment-grpc.yaml: the app is also a gRPC microservice (GRPC_PORT, see grpc.ts), whose
      // server answers the kubelet's grpc: probes. Any app can serve them on a gRPC port of the
      // module's own instead: GRPC_HEALTH_PORT.
      grpc: process.env.GRPC_PORT !== undefined,
      ...(process.env.GRPC_HEALTH_PORT ? { grpcPort: Number(process.env.GRPC_HEALTH_PORT), grpcHost: '0.0.0.0' } : {}),
    }),
  ],
  controllers: [AppController, EchoController],
  providers: [DatabaseService, HealthChecks],
})
export class AppModule {}
