export * from './auth';
export * from './config';
export * from './crypto';
export * from './database';
export * from './http';
export * from './logging';
export * from './metrics';
export * from './targets';
