/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';
import base from './jest.config';

/**
 * `npm run test:quick`, the inner loop: the unit tests that start nothing — no local control
 * plane, no dynalite, no child process, no CDK synthesis. Those files (below) run in `npm test`.
 * A unit test that starts one of those belongs in this list.
 */
const STARTS_SOMETHING = [
  'audit/ledger', // dynalite
  'cli/basics', // runs the CLI in child processes
  'cli/bundle', // builds and runs the CLI in child processes
  'console-oidc', // dynalite
  'deploy/cross-account', // dynalite
  'deploy/release', // dynalite
  'events/pipeline-state', // synthesizes the app
  'gates/cli', // runs the CLI in a child process
  'local/aws-cli', // a plane, and the AWS CLI
  'local/bundles', // bundles in a child process
  'local/codebuild-limits', // builds in child processes
  'local/codebuild\\.test', // builds in child processes
  'local/codebuild-s3-source', // builds in child processes
  'local/deployer-plane', // a plane
  'local/dynalite-thread', // dynalite
  'local/dynamodb-service', // dynalite
  'local/functions', // worker threads
  'local/lambda-code-version', // a service version's process
  'local/services-retire', // a service version's process
  'local/sqs', // a process that crashes mid-send
  'local/synth-cache', // synthesizes the app
  'local/version-process', // a service version's process
  'notify/slack-actions', // dynalite
  'pipelines/acting', // dynalite
  'pipelines/approval', // dynalite
  'pipelines/runs', // dynalite
  'source/commit-tree', // git in child processes
  'status/fake-compare', // git in child processes
  'webhooks/deliveries', // dynalite
  'webhooks/replay', // dynalite
];

/**
 * Unit tests that start nothing but take long by design: `npm test` runs them. The property test
 * checks 300 generated values per schema against zod's own checker (~14 s).
 */
const LONG_BY_DESIGN = ['events/generated-checkers\\.property'];

const config: Config = {
  ...base,
  roots: ['<rootDir>/test/unit'],
  testPathIgnorePatterns: ['/node_modules/', ...[...STARTS_SOMETHING, ...LONG_BY_DESIGN].map((p) => `/test/unit/${p}`)],
  // These files wait on nothing: two workers keep both cores busy.
  maxWorkers: 2,
};

export default config;
