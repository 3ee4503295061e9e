export * from './configure-http-app';
export * from './api-error.response';
export * from './strict-express-adapter';
export * from './pagination';
export * from './operator-list.decorator';
export * from './api-docs';
