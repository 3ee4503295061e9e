export * from './configure-http-app';
export * from './strict-express-adapter';
export * from './api-docs';
