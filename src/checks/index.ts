export * from './event-loop-delay.check.js';
export * from './memory.check.js';
export * from './disk.check.js';
export * from './http.check.js';
export * from './tcp.check.js';
