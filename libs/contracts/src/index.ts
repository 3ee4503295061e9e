export * from './topics';
export * from './order';
export * from './change-event';
export * from './scope';
export * from './registration';
export * from './scope-schema';
