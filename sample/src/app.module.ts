import { Module } from '@nestjs/common';
import { HeartbeatModule } from 'nestjs-heartbeat';
import { AppController } from './app.controller.js';
import { DatabaseService } from './database.service.js';
import { HealthChecks } from './health.checks.js';

@Module({
  imports: [
    HeartbeatModule.forRoot({
      failureStatusCode: 503,
      // k8s/deployment-grpc.yaml: native gRPC probes on the module's own gRPC health server.
      ...(process.env.GRPC_HEALTH_PORT ? { grpcPort: Number(process.env.GRPC_HEALTH_PORT), grpcHost: '0.0.0.0' } : {}),
    }),
  ],
  controllers: [AppController],
  providers: [DatabaseService, HealthChecks],
})
export class AppModule {}
