import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DEFAULT_PATH, HEARTBEAT_ROUTE_PATH } from './heartbeat.constants.js';
import { createHeartbeatController } from './heartbeat.controller.js';
import type { HeartbeatModuleExtras, HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: HEARTBEAT_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<HeartbeatModuleOptions>({ moduleName: 'Heartbeat' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createHeartbeatOptions')
  .setExtras<HeartbeatModuleExtras>(
    { path: DEFAULT_PATH, isGlobal: false, routeDecorators: [] },
    (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
      controllers: [...(definition.controllers ?? []), createHeartbeatController(extras.path, extras.routeDecorators)],
      providers: [
        ...(definition.providers ?? []),
        { provide: HEARTBEAT_ROUTE_PATH, useValue: trimSlashes(extras.path) },
      ],
    }),
  )
  .build();

function trimSlashes(path: string): string {
  return path.replace(/^\/+|\/+$/g, '');
}
