/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: '<rootDir>/test/support/node-environment.js',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // linkedom's CommonJS build requires ESM-only packages (css-select & co.). Node 20.19+
    // loads them natively (require(esm)); Jest's module system does not, so it compiles them.
    '^.+\\.js$': ['ts-jest', { tsconfig: { allowJs: true, module: 'commonjs', isolatedModules: true } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!(css-select|css-what|domutils|dom-serializer|domhandler|domelementtype|nth-check|boolbase|cssomnom|htmlparser2|uhyphen|entities)/)'],
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  // Jest would otherwise wait forever for a leaked handle; every test closes its servers.
  forceExit: false,
};
