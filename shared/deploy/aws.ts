import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  BatchGetDeploymentsCommand,
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  paginateListDeployments,
  StopDeploymentCommand,
} from '@aws-sdk/client-codedeploy';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import type { Credentials } from '../aws/target-sessions';
import { environmentDigest, environmentValueTags } from './configuration';
import type {
  AlarmState,
  AliasRouting,
  CreateDeploymentRequest,
  DeployControl,
  DeploymentInfo,
  FunctionConfiguration,
} from './ports';

/** The DeployControl of one site: its own CodeDeploy, Lambda and CloudWatch clients, signed with `credentials` when given. */
export function awsDeployControl(config: { credentials?: Credentials }): AwsDeployControl {
  return new AwsDeployControl(new CodeDeployClient(config), new LambdaClient(config), new CloudWatchClient(config));
}

/** CodeDeploy, Lambda and CloudWatch behind the DeployControl port. */
export class AwsDeployControl implements DeployControl {
  constructor(
    private readonly codeDeploy: CodeDeployClient,
    private readonly lambda: LambdaClient,
    private readonly cloudWatch: CloudWatchClient,
  ) {}

  async publishVersion(
    functionName: string,
    code: { bucket: string; key: string; versionId: string },
  ): Promise<{ version: string; codeSha256: string; configuration: FunctionConfiguration }> {
    const out = await this.lambda.send(
      new UpdateFunctionCodeCommand({
        FunctionName: functionName,
        S3Bucket: code.bucket,
        S3Key: code.key,
        S3ObjectVersion: code.versionId,
        Publish: true,
      }),
    );
    if (!out.Version || out.Version === '$LATEST') throw new Error(`Lambda published no version of ${functionName}`);
    return { version: out.Version, codeSha256: out.CodeSha256 ?? '', configuration: configurationOf(out) };
  }

  async versionConfiguration(functionName: string, version: string): Promise<FunctionConfiguration> {
    return configurationOf(
      await this.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version })),
    );
  }

  async versionCodeSha256(functionName: string, version: string): Promise<string> {
    const out = await this.lambda.send(
      new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version }),
    );
    return out.CodeSha256 ?? '';
  }

  async aliasRouting(functionName: string, alias: string): Promise<AliasRouting> {
    const out = await this.lambda.send(new GetAliasCommand({ FunctionName: functionName, Name: alias }));
    if (!out.FunctionVersion) throw new Error(`alias ${functionName}:${alias} points at no version`);
    return { version: out.FunctionVersion, additional: { ...out.RoutingConfig?.AdditionalVersionWeights } };
  }

  async createDeployment(request: CreateDeploymentRequest): Promise<string> {
    const out = await this.codeDeploy.send(
      new CreateDeploymentCommand({
        applicationName: request.application,
        deploymentGroupName: request.deploymentGroup,
        deploymentConfigName: request.deploymentConfig,
        description: request.description,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: request.appSpec } },
      }),
    );
    if (!out.deploymentId) throw new Error('CodeDeploy returned no deployment id');
    return out.deploymentId;
  }

  async findDeployment(
    application: string,
    deploymentGroup: string,
    since: Date,
    wanted: (deployment: { readonly description: string; readonly appSpec: string }) => boolean,
  ): Promise<{ deploymentId: string; appSpec: string } | undefined> {
    const pages = paginateListDeployments(
      { client: this.codeDeploy },
      { applicationName: application, deploymentGroupName: deploymentGroup, createTimeRange: { start: since } },
    );
    for await (const page of pages) {
      const ids = page.deployments ?? [];
      // BatchGetDeployments takes at most 25 ids.
      for (let i = 0; i < ids.length; i += 25) {
        const out = await this.codeDeploy.send(new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(i, i + 25) }));
        const mine = out.deploymentsInfo?.find((d) =>
          wanted({ description: d.description ?? '', appSpec: d.revision?.appSpecContent?.content ?? '' }),
        );
        if (mine?.deploymentId !== undefined)
          return { deploymentId: mine.deploymentId, appSpec: mine.revision?.appSpecContent?.content ?? '' };
      }
    }
    return undefined;
  }

  async getDeployment(deploymentId: string): Promise<DeploymentInfo> {
    const { deploymentInfo: d } = await this.codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
    return {
      deploymentId,
      status: d?.status ?? 'Unknown',
      description: d?.description ?? '',
      error: d?.errorInformation?.message ?? d?.errorInformation?.code ?? null,
      rolledBack: d?.rollbackInfo !== undefined || d?.status === 'Stopped',
      ...(d?.creator === undefined ? {} : { creator: d.creator }),
      ...(d?.rollbackInfo?.rollbackTriggeringDeploymentId === undefined
        ? {}
        : { rollbackOf: d.rollbackInfo.rollbackTriggeringDeploymentId }),
      ...(d?.applicationName === undefined ? {} : { application: d.applicationName }),
      ...(d?.deploymentGroupName === undefined ? {} : { deploymentGroup: d.deploymentGroupName }),
    };
  }

  async stopDeployment(deploymentId: string): Promise<void> {
    await this.codeDeploy.send(new StopDeploymentCommand({ deploymentId, autoRollbackEnabled: true }));
  }

  async groupAlarms(application: string, deploymentGroup: string): Promise<string[]> {
    const out = await this.codeDeploy.send(
      new GetDeploymentGroupCommand({ applicationName: application, deploymentGroupName: deploymentGroup }),
    );
    const alarms = out.deploymentGroupInfo?.alarmConfiguration;
    return alarms?.enabled === false ? [] : (alarms?.alarms ?? []).flatMap((a) => (a.name ? [a.name] : []));
  }

  async alarmStates(names: readonly string[]): Promise<AlarmState[]> {
    if (names.length === 0) return [];
    const out = await this.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [...names] }));
    return (out.MetricAlarms ?? []).map((a) => ({
      name: a.AlarmName ?? '',
      state: a.StateValue ?? 'INSUFFICIENT_DATA',
      reason: a.StateReason ?? '',
    }));
  }
}

/** A version's configuration as Lambda answers it (UpdateFunctionCode, GetFunctionConfiguration). */
function configurationOf(out: {
  Handler?: string;
  Runtime?: string;
  Layers?: { Arn?: string }[];
  Environment?: { Variables?: Record<string, string> };
  Role?: string;
  Architectures?: string[];
  VpcConfig?: { SubnetIds?: string[]; SecurityGroupIds?: string[] };
  FileSystemConfigs?: { Arn?: string; LocalMountPath?: string }[];
  LoggingConfig?: { LogGroup?: string };
  KMSKeyArn?: string;
}): FunctionConfiguration {
  const variables = out.Environment?.Variables ?? {};
  const sorted = (values: readonly (string | undefined)[] | undefined) =>
    (values ?? [])
      .filter((v): v is string => v !== undefined && v !== '')
      .sort()
      .join(',');
  return {
    platform: {
      role: out.Role ?? '',
      architectures: sorted(out.Architectures),
      vpc: [sorted(out.VpcConfig?.SubnetIds), sorted(out.VpcConfig?.SecurityGroupIds)]
        .filter((v) => v !== '')
        .join(' '),
      fileSystems: sorted((out.FileSystemConfigs ?? []).map((f) => `${f.Arn ?? ''}=${f.LocalMountPath ?? ''}`)),
      logGroup: out.LoggingConfig?.LogGroup ?? '',
      kmsKey: out.KMSKeyArn ?? '',
    },
    handler: out.Handler ?? '',
    runtime: out.Runtime ?? '',
    layers: (out.Layers ?? []).map((l) => l.Arn ?? ''),
    environmentKeys: Object.keys(variables).sort(),
    environmentSha256: environmentDigest(variables),
    environmentValueTags: environmentValueTags(variables),
  };
}
