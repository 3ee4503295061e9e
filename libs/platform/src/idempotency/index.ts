export * from './idempotency-key';
export * from './idempotency-keys';
export * from './idempotency.interceptor';
export * from './idempotent.decorator';
export * from './idempotency-keys.sql';
