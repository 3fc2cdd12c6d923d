import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HEARTBEAT_RESOLVED_OPTIONS } from './heartbeat.constants.js';
import { ConfigurableModuleClass, HEARTBEAT_MODULE_OPTIONS } from './heartbeat.module-definition.js';
import { resolveOptions } from './heartbeat.options.js';
import { HeartbeatService } from './heartbeat.service.js';
import { ShutdownCoordinator } from './heartbeat.lifecycle.js';
import { HeartbeatManagementServer } from './heartbeat.management-server.js';
import { ProbeMetadataAccessor } from './probe-metadata.accessor.js';
import { ProbeExplorer } from './probe.explorer.js';
import { ProbeRegistry } from './probe.registry.js';
import { ProbeRunner } from './probe.runner.js';

/**
 * Kubernetes probe endpoints for a Nest app: `HeartbeatModule.forRoot(options?)` or
 * `HeartbeatModule.forRootAsync({ imports, inject, useFactory | useClass | useExisting })`.
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    { provide: HEARTBEAT_RESOLVED_OPTIONS, useFactory: resolveOptions, inject: [HEARTBEAT_MODULE_OPTIONS] },
    ProbeRegistry,
    ProbeRunner,
    ProbeMetadataAccessor,
    ProbeExplorer,
    HeartbeatService,
    ShutdownCoordinator,
    HeartbeatManagementServer,
  ],
  exports: [HeartbeatService, ProbeRegistry, HeartbeatManagementServer],
})
export class HeartbeatModule extends ConfigurableModuleClass {}
