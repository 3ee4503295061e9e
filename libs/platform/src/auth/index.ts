export * from './api-auth.guard';
