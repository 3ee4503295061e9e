export * from './secret-box';
export * from './masking';
