export * from './configure-http-app';
export * from './api-error.response';
export * from './strict-express-adapter';
export * from './api-docs';
