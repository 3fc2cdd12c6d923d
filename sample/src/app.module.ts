import { Module } from '@nestjs/common';
import { HeartbeatModule } from 'nestjs-heartbeat';
import { AppController } from './app.controller.js';
import { DatabaseService } from './database.service.js';
import { HealthChecks } from './health.checks.js';

@Module({
  imports: [HeartbeatModule.forRoot({ failureStatusCode: 503 })],
  controllers: [AppController],
  providers: [DatabaseService, HealthChecks],
})
export class AppModule {}
