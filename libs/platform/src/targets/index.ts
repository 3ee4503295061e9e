export * from './address-policy';
export * from './target-guard';
