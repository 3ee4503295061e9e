export * from './keyed-line';
