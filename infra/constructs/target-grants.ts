import { Arn, ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import { PolicyStatement, type Role } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { artifactsBucketName } from '../../shared/config/names';
import { BAKE_ROLLBACK_CONFIG } from '../../shared/deploy/appspec';
import { releasePackageKeys } from '../../shared/pipelines/artifact-layout';
import { LAMBDA_RELEASE_ACTIONS, type NamedTarget, REVISION_ACTIONS, targetArns } from './deployments';
import type { TargetAccessProps } from './target-access';

/** Reading a deployment (a deployment is authorized on its group). */
const READ_DEPLOYMENT = ['codedeploy:GetDeployment'] as const;
/** Finding a run's deployment by its description (a retried Deploy, an operator's cancel). */
const FIND_DEPLOYMENTS = ['codedeploy:ListDeployments', 'codedeploy:BatchGetDeployments'] as const;

/**
 * What each target role may do in the target account: exactly what the steps that assume it call
 * there (shared/deploy/release.ts, verify.ts, events.ts; shared/operators/actions.ts;
 * shared/pipelines/finish.ts and start.ts), on the configured groups, applications and functions.
 */
export class TargetGrants {
  private readonly arns: ReturnType<typeof targetArns>;
  private readonly lambdaArns: ReturnType<typeof targetArns>;

  constructor(
    private readonly scope: Construct,
    private readonly props: TargetAccessProps,
  ) {
    const targets = props.targets.map((t) => t.target);
    this.arns = targetArns(scope, targets);
    this.lambdaArns = targetArns(
      scope,
      targets.filter((t) => t.lambda !== null),
    );
  }

  /**
   * Deploy: finds a deployment its run created, publishes the function's code from the release
   * package, reads the alias and the version's code hash, creates the deployment with the
   * configured shift, reads it, and stops it when the run ended meanwhile.
   */
  release(role: Role): void {
    const configs = [...new Set(this.props.targets.map((t) => t.target.deploymentConfig))];
    add(role, [
      new PolicyStatement({
        actions: ['codedeploy:CreateDeployment', 'codedeploy:StopDeployment', ...READ_DEPLOYMENT, ...FIND_DEPLOYMENTS],
        resources: this.arns.groups,
      }),
      new PolicyStatement({ actions: [...REVISION_ACTIONS], resources: this.arns.applications }),
      new PolicyStatement({
        actions: ['codedeploy:GetDeploymentConfig'],
        resources: configs.map((c) => this.config(c)),
      }),
    ]);
    if (this.lambdaArns.functions.length > 0) this.releasePackages(role);
  }

  /**
   * DeployCheck: reads the deployment (reconcile, bake), stops one that never reported its end,
   * reads the group's alarms, and after an alarm in the bake sends a Lambda target's alias back to
   * the version it had (a deployment of versions already published, all at once). It publishes
   * no code, reads no release package, and may create no deployment with any other configuration.
   */
  verify(role: Role): void {
    add(role, [
      new PolicyStatement({
        actions: [...READ_DEPLOYMENT, 'codedeploy:StopDeployment', 'codedeploy:GetDeploymentGroup'],
        resources: this.arns.groups,
      }),
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [this.arns.alarms] }),
    ]);
    if (this.lambdaArns.groups.length > 0) {
      add(role, [
        // A bake check retried after CreateDeployment finds the rollback it asked for (FIND_DEPLOYMENTS).
        new PolicyStatement({
          actions: ['codedeploy:CreateDeployment', ...FIND_DEPLOYMENTS],
          resources: this.lambdaArns.groups,
        }),
        new PolicyStatement({ actions: [...REVISION_ACTIONS], resources: this.lambdaArns.applications }),
        new PolicyStatement({
          actions: ['codedeploy:GetDeploymentConfig'],
          resources: [this.config(BAKE_ROLLBACK_CONFIG)],
        }),
      ]);
    }
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${this.here('cloudwatch', 'alarm:*')}]`,
      reason:
        "The bake check reads the alarms the deployment group names (DescribeAlarms by name); they are the group's, not known at synthesis.",
    });
  }

  /**
   * The steps that only read or stop a run's deployment: ResolvePlan (a superseded run's),
   * RecordFailure (a failed run's), the operator API (a cancel, finding the run's deployment by
   * its description when its id was not noted) and the deployment events (reads the deployment
   * an event names).
   */
  stop(role: Role): void {
    add(role, [
      new PolicyStatement({
        actions: [...READ_DEPLOYMENT, 'codedeploy:StopDeployment', ...FIND_DEPLOYMENTS],
        resources: this.arns.groups,
      }),
    ]);
  }

  /** Lambda reads the new code with the caller's rights: the release builds of these pipelines only. */
  private releasePackages(role: Role): void {
    const { account, region } = this.props.controlPlane;
    const stack = Stack.of(this.scope);
    const bucket = `arn:${stack.partition}:s3:::${artifactsBucketName(account, region)}`;
    const packages = releasePackagesOf(this.props.targets);
    add(role, [
      new PolicyStatement({ actions: [...LAMBDA_RELEASE_ACTIONS], resources: this.lambdaArns.functions }),
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: packages.map((key) => `${bucket}/${key}`),
      }),
      new PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [`arn:${stack.partition}:kms:${region}:${account}:key/*`],
        conditions: {
          StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com`, 'kms:EncryptionContext:aws:s3:arn': bucket },
        },
      }),
    ]);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${region}:${account}:key/*]`,
      reason:
        "Decrypt only through S3 in the control plane's region, for objects of the artifacts bucket (encryption context); the key's id is the control plane's, unknown here.",
    });
    for (const key of packages) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${artifactsBucketName(account, region)}/${key}]`,
        reason: `One configured Lambda package (${key.split('/artifacts/')[1]}) of each build of the class its environment builds in (one key per build), nothing else they upload; Deploy pins the exact object version its provenance names.`,
      });
    }
  }

  private config(name: string): string {
    return Arn.format(
      {
        service: 'codedeploy',
        resource: 'deploymentconfig',
        resourceName: name,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      Stack.of(this.scope),
    );
  }

  /** An ARN of this account and region as cdk-nag spells it in a finding's id. */
  private here(service: string, resource: string): string {
    const stack = Stack.of(this.scope);
    const spell = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    return `arn:<AWS::Partition>:${service}:${spell(stack.region, 'Region')}:${spell(stack.account, 'AccountId')}:${resource}`;
  }
}

function add(role: Role, statements: readonly PolicyStatement[]): void {
  for (const statement of statements) role.addToPolicy(statement);
}

/** The keys of the Lambda packages these targets release: their pipelines' configured artifacts only. */
export function releasePackagesOf(targets: readonly NamedTarget[]): string[] {
  return [
    ...new Set(
      targets.flatMap((t) =>
        t.target.lambda
          ? [releasePackageKeys(t.pipeline, t.gated ? 'gated' : 'ungated', t.target.lambda.artifact)]
          : [],
      ),
    ),
  ];
}
