export * from './request-tracing';
export * from './tracing';
export * from './tracing.module';
export * from './tracing-settings';
export * from './message-spans';
