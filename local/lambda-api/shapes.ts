import type { AliasRecord, ServiceSpec, VersionRecord } from './types';

/** A function version as GetFunctionConfiguration, PublishVersion and UpdateFunctionCode answer. */
export function functionConfiguration(
  spec: ServiceSpec,
  version: VersionRecord,
  revisionId: string,
  accountId: string,
): Record<string, unknown> {
  return {
    FunctionName: spec.name,
    FunctionArn: version.version === '$LATEST' ? spec.arn : `${spec.arn}:${version.version}`,
    Runtime: spec.runtime,
    Role: `arn:aws:iam::${accountId}:role/${spec.name}-local`,
    Handler: `${spec.handlerModule}.${spec.handlerExport}`,
    CodeSize: version.codeSize,
    Description: version.description,
    Timeout: spec.timeoutSeconds,
    MemorySize: spec.memoryMb,
    LastModified: version.lastModified,
    CodeSha256: version.codeSha256,
    Version: version.version,
    Environment: { Variables: spec.environment },
    RevisionId: revisionId,
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

/** An alias as GetAlias and UpdateAlias answer; RoutingConfig only while it shifts traffic. */
export function aliasConfiguration(spec: ServiceSpec, alias: AliasRecord): Record<string, unknown> {
  const weights = alias.additionalVersionWeights;
  return {
    AliasArn: `${spec.arn}:${alias.name}`,
    Name: alias.name,
    FunctionVersion: alias.functionVersion,
    Description: alias.description,
    ...(Object.keys(weights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: weights } } : {}),
    RevisionId: alias.revisionId,
  };
}
