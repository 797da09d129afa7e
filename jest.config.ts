/** @jest-config-loader esbuild-register */
import { availableParallelism } from 'node:os';
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
   * Three workers on 2 cores (one and a half per core): the integration suites partly wait (builds
   * in child processes, time-scaled holds, polling), so a worker per core left the CPU ~165% busy.
   * Measured 2026-12-07, the same code: 5 min 48 s with two workers, 5 min 17 s with three (CPU 565
   * and 558 s). A number, not '150%': jest reads a percentage above 100 as that many workers.
   */
  maxWorkers: Math.max(2, Math.round(availableParallelism() * 1.5)),
};

export default config;
