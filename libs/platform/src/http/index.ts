export * from './configure-http-app';
export * from './strict-express-adapter';
