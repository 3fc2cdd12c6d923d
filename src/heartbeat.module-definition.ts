import { ConfigurableModuleBuilder } from '@nestjs/common';
import { DEFAULT_PATH, HEARTBEAT_ROUTE, type HeartbeatRouteDeclaration } from './heartbeat.constants.js';
import { createHeartbeatController } from './transport/heartbeat.controller.js';
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
    { path: DEFAULT_PATH, isGlobal: false, routeDecorators: [], openApi: false },
    (definition, extras) => {
      const controller = createHeartbeatController(extras.path, extras.routeDecorators, extras.openApi === true);
      const route: HeartbeatRouteDeclaration = {
        path: extras.path,
        decorated: extras.routeDecorators.length > 0,
        controller,
      };
      return {
        ...definition,
        global: extras.isGlobal,
        controllers: [...(definition.controllers ?? []), controller],
        providers: [...(definition.providers ?? []), { provide: HEARTBEAT_ROUTE, useValue: route }],
      };
    },
  )
  .build();
