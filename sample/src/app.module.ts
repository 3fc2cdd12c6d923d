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
      // METRICS_PORT: a management port serving the probes and GET /metrics (prom-client's default
      // registry), for Prometheus and the rules of docs/fleet-alerting.md.
      ...(process.env.METRICS_PORT
        ? { port: Number(process.env.METRICS_PORT), host: process.env.HOST ?? '0.0.0.0', metrics: { prometheus: true } }
        : {}),
    }),
  ],
  controllers: [AppController, EchoController],
  providers: [DatabaseService, HealthChecks],
})
export class AppModule {}
