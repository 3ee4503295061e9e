export * from './configure-http-app';
export * from './api-error.response';
