export * from './address-policy';
export * from './target-guard';
export * from './target-connection.response';
export * from './registration.openapi';
