import { ConfigurableModuleBuilder, type Type } from '@nestjs/common';
import { DEFAULT_PATH, HEARTBEAT_ROUTE } from './heartbeat.constants.js';
import { createHeartbeatController } from './transport/heartbeat.controller.js';
import type { HeartbeatModuleExtras, HeartbeatModuleOptions } from './interfaces/heartbeat-options.interface.js';

/** What the module's declaration fixed about its routes, for the options resolved once the factory has run. */
export interface HeartbeatRouteDeclaration {
  /** The prefix given beside the options (`forRoot({ path })`, `forRootAsync({ path })`). */
  readonly path: string;
  /** Whether `routeDecorators` were given (environ on the app port is then assumed guarded). */
  readonly decorated: boolean;
  /** The controller made for this declaration; its prefix is set again when the factory supplies a `path`. */
  readonly controller: Type<unknown>;
}

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
