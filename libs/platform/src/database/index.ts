export * from './database';
export * from './embedded-postgres';
export * from './prepared-statement';
export * from './query-logger';
export * from './tenant-scope';
export * from './tenant-scope.interceptor';
