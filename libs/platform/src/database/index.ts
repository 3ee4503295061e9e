export * from './database';
export * from './embedded-postgres';
export * from './prepared-statement';
export * from './query-logger';
export * from './service-database.module';
export * from './tenant-scope';
export * from './tenant-scope.interceptor';
