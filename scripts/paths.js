// Resolves the @ordercast/* aliases of tsconfig.json against the compiled output in dist/.
const path = require('node:path');
const tsConfigPaths = require('tsconfig-paths');
const dist = path.resolve(__dirname, '..', 'dist');
tsConfigPaths.register({
  baseUrl: dist,
  paths: {
    '@ordercast/contracts': ['libs/contracts/src'],
    '@ordercast/contracts/*': ['libs/contracts/src/*'],
    '@ordercast/messaging': ['libs/messaging/src'],
    '@ordercast/messaging/*': ['libs/messaging/src/*'],
    '@ordercast/platform': ['libs/platform/src'],
    '@ordercast/platform/*': ['libs/platform/src/*'],
  },
});
