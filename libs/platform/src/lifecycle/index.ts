export * from './close-on-signals';
export * from './run-service';
