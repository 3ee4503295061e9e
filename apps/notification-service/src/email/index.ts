export * from './email-options';
export * from './email-sender';
export * from './email.module';
export * from './render-email';
