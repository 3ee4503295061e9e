// Two projects: `unit` (pure specs beside the code, no I/O) and `integration`
// (real PostgreSQL and a real Kafka broker, started once in globalSetup).
// ts-jest in transpile-only mode: type checking is `npm run build`'s job, tests only need the JavaScript.
const tsJest = ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: false }];
const moduleNameMapper = {
  '^@ordercast/(contracts|messaging|platform)$': '<rootDir>/libs/$1/src',
  '^@ordercast/(contracts|messaging|platform)/(.*)$': '<rootDir>/libs/$1/src/$2',
};
const common = { rootDir: __dirname, transform: { '^.+\\.ts$': tsJest }, moduleNameMapper, testEnvironment: 'node', moduleFileExtensions: ['ts', 'js', 'json'] };

module.exports = {
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/apps/*/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/harness/global-setup.ts',
      globalTeardown: '<rootDir>/test/harness/global-teardown.ts',
    },
  ],
};
