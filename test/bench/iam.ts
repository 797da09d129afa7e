import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGantryConfig } from '../../infra/config/load';
import { arnLookups, type EdgeCall, LocalIam, templateIam } from '../../local/iam';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import { fmt, median, percentile, table } from './stats';

const ENV = { region: 'us-east-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };

function jsonCall(target: string, input: unknown): EdgeCall {
  return {
    method: 'POST',
    url: new URL('http://127.0.0.1:4566/'),
    headers: { 'x-amz-target': target },
    body: Buffer.from(JSON.stringify(input)),
  };
}

/** The calls the control plane's functions and builds make most, as the edge receives them. */
const CALLS: readonly EdgeCall[] = [
  jsonCall('DynamoDB_20120810.PutItem', { TableName: 'gantry-runs', Item: {} }),
  jsonCall('DynamoDB_20120810.Query', { TableName: 'gantry-audit', IndexName: 'byRun' }),
  jsonCall('secretsmanager.GetSecretValue', { SecretId: 'gantry/connections/github-demo' }),
  jsonCall('AWSEvents.PutEvents', { Entries: [{ EventBusName: 'gantry' }] }),
  jsonCall('AWSStepFunctions.SendTaskSuccess', { taskToken: 't', output: '{}' }),
  jsonCall('TrentService.Decrypt', { KeyId: 'alias/gantry-artifacts' }),
  {
    method: 'GET',
    url: new URL('http://127.0.0.1:4566/gantry-artifacts-000000000000-us-east-1/releases/x.zip?x-id=GetObject'),
    headers: {},
    body: undefined,
  },
  {
    method: 'GET',
    url: new URL('http://127.0.0.1:4566/2015-03-31/functions/gantry-sample-service-dev/aliases/live'),
    headers: {},
    body: undefined,
  },
];

/**
 * `npm run bench -- iam`: what local IAM adds to each local AWS call: the edge's authorization
 * (the request mapped to actions and ARNs, then AWS's evaluation logic over the role's identity
 * policies and the resource's policy) for every role of the synthesized templates, allowed and
 * denied calls alike. The target is under 1 ms at p99.
 */
export async function benchIam(options: { rounds: number; calls: number }): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-iam-'));
  try {
    const config = loadGantryConfig(join(import.meta.dirname, '..', '..', 'gantry.config.yaml'));
    const resolver = new TemplateResolver(synthTemplates(config), ENV);
    const model = templateIam(resolver);
    const iam = new LocalIam({ iam: model, arns: arnLookups(resolver, [], []), dataDir });
    const principals = [...model.roles.values()].map((r) => ({
      kind: 'role' as const,
      roleName: r.roleName,
      roleArn: r.roleArn,
    }));
    const rows: (string | number)[][] = [];
    const p50s: number[] = [];
    const p99s: number[] = [];
    let denied = 0;
    for (let round = 0; round < options.rounds; round++) {
      const samples: number[] = [];
      for (let i = 0; i < options.calls; i++) {
        const principal = principals[i % principals.length];
        const call = CALLS[i % CALLS.length];
        if (principal === undefined || call === undefined) continue;
        const started = performance.now();
        if (iam.decide(principal, call) !== undefined) denied++;
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      p50s.push(percentile(samples, 50));
      p99s.push(percentile(samples, 99));
    }
    iam.flush();
    rows.push([
      principals.length,
      CALLS.length,
      options.calls,
      `${((denied / (options.calls * options.rounds)) * 100).toFixed(0)} %`,
      fmt(median(p50s), 3),
      fmt(median(p99s), 3),
      median(p99s) < 1 ? 'yes' : 'NO',
    ]);
    return table(['roles', 'call kinds', 'calls per round', 'denied', 'p50 ms', 'p99 ms', 'p99 < 1 ms'], rows);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
