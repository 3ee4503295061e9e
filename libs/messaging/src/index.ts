export * from './event-bus.port';
export * from './in-process';
export * from './kafka';
export * from './message-rejected.error';
export * from './messaging.module';
export * from './namespaced-event-bus';
