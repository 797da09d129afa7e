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
  /**
   * A worker per core: the integration suites mostly wait (builds in child processes, time-scaled
   * holds, polling), so two workers on 2 cores kept the CPU ~165% busy and took the whole suite
   * from 12.9 to 5.9 minutes, each suite's own time unchanged (measured 2026-12-04).
   */
  maxWorkers: '100%',
};

export default config;
