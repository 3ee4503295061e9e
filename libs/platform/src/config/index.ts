export * from './validate-config';
export * from './common-config';
