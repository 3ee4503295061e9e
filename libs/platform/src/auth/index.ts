export * from './api-auth.guard';
export * from './credential-table';
export * from './merchant.decorator';
export * from './route-access';
