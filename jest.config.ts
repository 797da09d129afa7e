/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';

/**
 * Tests run as native ES modules (`--experimental-vm-modules`, set in package.json) so that
 * ESM-only dependencies such as @middy/core load as they do in Lambda; @swc/jest strips types.
 */
const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'es6' },
      },
    ],
  },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  testTimeout: 30_000,
  maxWorkers: '50%',
};

export default config;
