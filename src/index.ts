export * from './decorators/index.js';
export { HeartbeatModule } from './heartbeat.module.js';
export { HEARTBEAT_MODULE_OPTIONS } from './heartbeat.module-definition.js';
export { HeartbeatService, type ProbeResponse } from './heartbeat.service.js';
export { HeartbeatManagementServer } from './heartbeat.management-server.js';
export { ProbeRegistry, type ProbeKindInput } from './probe.registry.js';
export * from './interfaces/heartbeat-options.interface.js';
export * from './interfaces/probe.interface.js';
