export * from './secret-box';
export * from './masking';
export * from './url-credentials';
export * from './masked-values';
export * from './time-ordered-id';
