export * from './readiness-probe.decorator.js';
export * from './liveliness-probe.decorator.js';
export * from './environ-probe.decorator.js';
export * from './startup-probe.decorator.js';
