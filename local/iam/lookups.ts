import type { KmsKeySpec } from '../kms/service';
import { secretArn as storedSecretArn } from '../secretsmanager/secret';
import type { TemplateResolver } from '../template/resolver';
import type { ArnLookups } from './requests';

/** The ARNs the local services answer with, looked up from the names a request gives. */
export function arnLookups(
  t: TemplateResolver,
  keys: readonly KmsKeySpec[],
  stateMachineArns: readonly string[],
  deploymentGroups: readonly {
    readonly application: string;
    readonly name: string;
    readonly accountId?: string;
  }[] = [],
): ArnLookups {
  const { region, accountId } = t.env;
  const secrets = new Map<string, string>();
  for (const r of t.resources('AWS::SecretsManager::Secret')) {
    const arn = t.ref(r.stack, r.logicalId);
    secrets.set(arn, arn);
    try {
      const name = t.properties(r.stack, r.logicalId).Name;
      if (typeof name === 'string') secrets.set(name, arn);
    } catch {
      // a secret whose properties do not resolve is still known by its ARN
    }
  }
  const byKey = new Map<string, string>();
  for (const key of keys) {
    byKey.set(key.keyId, key.arn);
    byKey.set(key.arn, key.arn);
    for (const alias of key.aliases ?? []) {
      byKey.set(alias, key.arn);
      byKey.set(`arn:aws:kms:${region}:${accountId}:${alias}`, key.arn);
    }
  }
  const partitionKeys = new Map<string, string>();
  for (const r of t.resources('AWS::DynamoDB::Table')) {
    try {
      const name = t.ref(r.stack, r.logicalId);
      const p = t.properties(r.stack, r.logicalId);
      const hashOf = (schema: unknown) =>
        (schema as { AttributeName?: string; KeyType?: string }[] | undefined)?.find((k) => k.KeyType === 'HASH')
          ?.AttributeName;
      const key = hashOf(p.KeySchema);
      if (key !== undefined) partitionKeys.set(name, key);
      for (const i of (p.GlobalSecondaryIndexes ?? []) as { IndexName?: string; KeySchema?: unknown }[]) {
        const indexKey = hashOf(i.KeySchema);
        if (indexKey !== undefined) partitionKeys.set(`${name}/index/${i.IndexName}`, indexKey);
      }
    } catch {
      // a table whose properties do not resolve names no key: its requests carry no LeadingKeys
    }
  }
  return {
    region,
    accountId,
    partitionKeyOf: (table, index) => partitionKeys.get(index === undefined ? table : `${table}/index/${index}`),
    // A name no template declares (a build secret, fromSecretNameV2) is the local store's secret:
    // its ARN ends in the random suffix policies match with `-??????`, as in AWS.
    secretArn: (id) => secrets.get(id) ?? (id.startsWith('arn:') ? id : storedSecretArn(id, { region, accountId })),
    keyArn: (id) => byKey.get(id) ?? (id.startsWith('arn:') ? id : `arn:aws:kms:${region}:${accountId}:key/${id}`),
    stateMachineArns: () => stateMachineArns,
    deploymentGroupArns: () =>
      deploymentGroups.map(
        (g) => `arn:aws:codedeploy:${region}:${g.accountId ?? accountId}:deploymentgroup:${g.application}/${g.name}`,
      ),
  };
}
