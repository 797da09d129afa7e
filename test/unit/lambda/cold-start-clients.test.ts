import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../infra/paths';
import { OIDC_SETTINGS_ENV } from '../../../shared/operators/oidc';
import { bundleFunction, loadBundle } from '../../support/bundles';

/**
 * What a cold start loads, from the bundle Lambda runs: a client only some requests use is
 * loaded by the first of them, so every other request does not wait for it; no import starts
 * ICU (the first Intl object a process makes costs ~10 ms), which only some requests need; and
 * zod's messages are in English from the start.
 */
describe('what a function loads at a cold start', () => {
  // Under node_modules so that the external @aws-sdk/* resolve from the project's install, as in Lambda.
  const cache = join(PROJECT_ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'gantry-cold-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { PATH: process.env.PATH, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x' };
  /** What importing `functions/<name>`'s deployed bundle loads, with the environment its stack gives it. */
  const coldStart = async (name: string, env: Record<string, string>) => {
    const file = join(dir, `${name}.cjs`);
    await bundleFunction(name, file);
    return loadBundle(file, { ...base, ...env });
  };

  const cases: { what: string; name: string; env: Record<string, string>; loads: string[]; defers: string[] }[] = [
    {
      what: 'the operator API leaves CodeDeploy, Lambda and CloudWatch to the first cancel that stops a deployment',
      name: 'operator-api',
      env: {
        RUNS_TABLE_NAME: 'runs',
        AUDIT_TABLE_NAME: 'audit',
        EVENT_BUS_NAME: 'bus',
        DELIVERIES_TABLE_NAME: 'deliveries',
        OPERATOR_API_URL: 'https://abc123defg.execute-api.eu-west-1.amazonaws.com/v1/',
      },
      // Every request reads runs and the ledger and the pipelines as deployed (SFN).
      loads: ['client-dynamodb', 'client-sfn'],
      defers: ['client-codedeploy', 'client-lambda', 'client-cloudwatch'],
    },
    {
      what: 'the webhook receiver leaves SQS to its first dead letter',
      name: 'webhook-receiver',
      env: {
        DELIVERIES_TABLE_NAME: 'deliveries',
        AUDIT_TABLE_NAME: 'audit',
        EVENT_BUS_NAME: 'bus',
        WEBHOOK_DLQ_URL: 'https://sqs.eu-west-1.amazonaws.com/000000000000/dlq',
        WEBHOOK_CONNECTIONS: '[]',
      },
      loads: ['client-dynamodb', 'client-eventbridge', 'client-secrets-manager'],
      defers: ['client-sqs'],
    },
    {
      what: "the console leaves the Lambda relay, build logs and the checkpoints' S3 and KMS to the first action, log or check",
      name: 'console',
      env: {
        RUNS_TABLE_NAME: 'runs',
        AUDIT_TABLE_NAME: 'audit',
        AUDIT_CHECKPOINT_KEY_ID: 'key',
        AUDIT_CHECKPOINT_BUCKET: 'bucket',
        EVENT_BUS_NAME: 'bus',
        OPERATOR_FUNCTION: 'gantry-operator-api',
        CONSOLE_PEOPLE: '{}',
        [OIDC_SETTINGS_ENV]: JSON.stringify({
          issuer: 'https://idp.example.com',
          audience: 'gantry',
          claim: 'email',
          algorithms: ['RS256'],
          scopes: ['openid'],
        }),
      },
      loads: ['client-dynamodb', 'client-sfn'],
      defers: ['client-lambda', 'client-cloudwatch-logs', 'client-s3', 'client-kms'],
    },
    {
      what: 'a pipeline step (ReportStatus) leaves the grapheme segmenter, and ICU with it, to a status description too long to send whole',
      name: 'report-status',
      env: { RUNS_TABLE_NAME: 'runs', AUDIT_TABLE_NAME: 'audit', EVENT_BUS_NAME: 'bus' },
      loads: ['client-dynamodb', 'client-sfn', 'client-eventbridge', 'client-secrets-manager'],
      defers: [],
    },
  ];

  it.each(cases)('$what', async ({ name, env, loads, defers }) => {
    const { sdk, intl, english } = await coldStart(name, env);
    expect(sdk).toEqual(expect.arrayContaining(loads.map((p) => `@aws-sdk/${p}`)));
    expect(sdk.filter((p) => defers.includes(p.replace('@aws-sdk/', '')))).toEqual([]);
    expect(intl).toEqual([]);
    // zod/mini says only "Invalid input" until a locale is set: a refusal must say what was wrong.
    expect(english).toBe(true);
  });
});
