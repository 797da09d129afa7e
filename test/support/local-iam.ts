import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GantryConfig } from '../../infra/config/schema';
import { type ArnLookups, arnLookups, LocalIam, templateIam } from '../../local/iam';
import { localAccountId } from '../../local/services/context';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import { assumeRoleParams } from '../../shared/aws/target-sessions';

/** Local IAM as `npm start` builds it from a config's synthesized templates; `close` removes its decisions file. */
export function localIamOf(config: GantryConfig, region: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-'));
  const resolver = new TemplateResolver(synthTemplates(config), {
    region,
    accountId: localAccountId(config),
    edgeEndpoint: 'http://127.0.0.1:4566',
  });
  const iam = new LocalIam({ iam: templateIam(resolver), arns: arnLookups(resolver, [], []), dataDir });
  return {
    resolver,
    iam,
    close: () => {
      iam.flush();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What the release step asks STS for a run: the session name and run-id tag TargetSessions sends. */
export function runSession(roleArn: string, runId: string) {
  const p = assumeRoleParams(roleArn, runId);
  return {
    roleArn,
    sessionName: p?.RoleSessionName ?? '',
    tags: (p?.Tags ?? []).map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
  };
}

/** A CodeDeploy JSON call as it reaches the edge. */
export const codeDeployCall = (operation: string, input: object) => ({
  method: 'POST',
  url: new URL('http://127.0.0.1:4566/'),
  headers: { 'x-amz-target': `CodeDeploy_20141006.${operation}` },
  body: Buffer.from(JSON.stringify(input)),
});

/** ARN look-ups for hand-made IAM fixtures: names are ARNs, one region, the given groups. */
export const fixtureArns = (accountId: string, groups: readonly string[] = []): ArnLookups => ({
  region: 'us-east-1',
  accountId,
  secretArn: (id) => id,
  keyArn: (id) => id,
  stateMachineArns: () => [],
  deploymentGroupArns: () => groups,
});
