export * from './configure-http-app';
export * from './api-error.response';
export * from './strict-fastify-adapter';
export * from './pagination';
export * from './operator-list.decorator';
export * from './api-docs';
export * from './header-value';
export * from './validation-fast-path';
