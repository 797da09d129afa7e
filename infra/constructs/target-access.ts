import { Arn, ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { EventBus as EventBusTarget } from 'aws-cdk-lib/aws-events-targets';
import { type CfnRole, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CODEDEPLOY_STATE_CHANGE, DEPLOYMENT_END_STATES } from '../../events';
import {
  artifactsBucketName,
  EVENT_BUS_NAME,
  RUN_ID_SESSION_TAG,
  targetDeployRoleName,
} from '../../shared/config/names';
import { buildArtifactsPath } from '../../shared/pipelines/artifact-layout';
import { customConfig, LAMBDA_RELEASE_ACTIONS, type NamedTarget, REVISION_ACTIONS, targetArns } from './deployments';

/** The control plane a target account serves: where it is and which of its roles act here. */
export interface ControlPlaneRef {
  readonly account: string;
  readonly region: string;
  /** ARNs of the control plane's step roles that call into this account (exactly these may assume the deploy role). */
  readonly stepRoles: readonly string[];
}

export interface TargetAccessProps {
  readonly controlPlane: ControlPlaneRef;
  /** The deploy targets in this account. */
  readonly targets: readonly NamedTarget[];
}

/**
 * What a target account gives the control plane: a deploy role that only the control plane's
 * step roles may assume (with a run-id session tag), allowed exactly the configured deployment
 * groups, functions and their release artifacts; Gantry's custom traffic-shifting configurations;
 * and a rule that forwards CodeDeploy's state changes to the control plane's bus.
 */
export class TargetAccess extends Construct {
  readonly role: Role;
  readonly forwarder: Rule;

  constructor(scope: Construct, id: string, props: TargetAccessProps) {
    super(scope, id);
    const { controlPlane, targets } = props;
    if (controlPlane.stepRoles.length === 0) throw new Error('a target account must trust some control-plane role');
    for (const { pipeline, environment, target } of targets) customConfig(this, pipeline, environment, target);
    this.role = new Role(this, 'DeployRole', {
      roleName: targetDeployRoleName(controlPlane.account),
      description: `Gantry control plane ${controlPlane.account}: releases into this account`,
      // Replaced below: the trust policy names each step role, with conditions.
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    (this.role.node.defaultChild as CfnRole).assumeRolePolicyDocument = trustPolicy(controlPlane);
    this.grant(props);
    this.forwarder = this.forwardStateChanges(props);
  }

  private grant({ controlPlane, targets }: TargetAccessProps): void {
    const stack = Stack.of(this);
    const arns = targetArns(
      this,
      targets.map((t) => t.target),
    );
    const configs = [...new Set(targets.map((t) => t.target.deploymentConfig))].map((name) =>
      Arn.format(
        {
          service: 'codedeploy',
          resource: 'deploymentconfig',
          resourceName: name,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      ),
    );
    const statements = [
      new PolicyStatement({
        actions: [
          'codedeploy:CreateDeployment',
          'codedeploy:GetDeployment',
          'codedeploy:GetDeploymentGroup',
          'codedeploy:StopDeployment',
          'codedeploy:ListDeployments',
          'codedeploy:BatchGetDeployments',
        ],
        resources: arns.groups,
      }),
      new PolicyStatement({
        actions: [...REVISION_ACTIONS],
        resources: arns.applications,
      }),
      new PolicyStatement({ actions: ['codedeploy:GetDeploymentConfig'], resources: configs }),
      new PolicyStatement({ actions: ['cloudwatch:DescribeAlarms'], resources: [arns.alarms] }),
    ];
    if (arns.functions.length > 0) {
      statements.push(
        new PolicyStatement({
          actions: [...LAMBDA_RELEASE_ACTIONS],
          resources: arns.functions,
        }),
      );
      const bucket = `arn:${stack.partition}:s3:::${artifactsBucketName(controlPlane.account, controlPlane.region)}`;
      // Lambda reads the code with the caller's rights: the release builds of these pipelines only.
      const pipelines = [...new Set(targets.filter((t) => t.target.lambda).map((t) => t.pipeline))];
      statements.push(
        new PolicyStatement({
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: pipelines.map((p) => `${bucket}/${buildArtifactsPath(p, 'trusted')}/*`),
        }),
        new PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [`arn:${stack.partition}:kms:${controlPlane.region}:${controlPlane.account}:key/*`],
          conditions: {
            StringEquals: {
              'kms:ViaService': `s3.${controlPlane.region}.amazonaws.com`,
              'kms:EncryptionContext:aws:s3:arn': bucket,
            },
          },
        }),
      );
    }
    for (const statement of statements) this.role.addToPolicy(statement);
    this.acknowledge(controlPlane, pipelinesOf(targets));
  }

  private forwardStateChanges({ controlPlane, targets }: TargetAccessProps): Rule {
    const bus = EventBus.fromEventBusArn(
      this,
      'ControlPlaneBus',
      `arn:${Stack.of(this).partition}:events:${controlPlane.region}:${controlPlane.account}:event-bus/${EVENT_BUS_NAME}`,
    );
    const rule = new Rule(this, 'StateChanges', {
      description: "Forwards the end of Gantry targets' CodeDeploy deployments to the control plane's bus",
      eventPattern: {
        source: ['aws.codedeploy'],
        detailType: [CODEDEPLOY_STATE_CHANGE],
        detail: {
          state: [...DEPLOYMENT_END_STATES],
          application: [...new Set(targets.map((t) => t.target.application))],
        },
      },
    });
    rule.addTarget(new EventBusTarget(bus));
    return rule;
  }

  private acknowledge(controlPlane: ControlPlaneRef, pipelines: readonly string[]): void {
    const role = this.role;
    const stack = Stack.of(this);
    const here = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:cloudwatch:${here(stack.region, 'Region')}:${here(stack.account, 'AccountId')}:alarm:*]`,
      reason:
        "The bake check reads the alarms the deployment group names (DescribeAlarms by name); they are the group's, not known at synthesis.",
    });
    Validations.of(role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kms:${controlPlane.region}:${controlPlane.account}:key/*]`,
      reason:
        "Decrypt only through S3 in the control plane's region, for objects of the artifacts bucket (encryption context); the key's id is the control plane's, unknown here.",
    });
    for (const pipeline of pipelines) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:s3:::${artifactsBucketName(controlPlane.account, controlPlane.region)}/${buildArtifactsPath(pipeline, 'trusted')}/*]`,
        reason: `The release packages of pipeline ${pipeline} (one key per build); Deploy pins the exact object version its provenance names.`,
      });
    }
  }
}

function pipelinesOf(targets: readonly NamedTarget[]): string[] {
  return [...new Set(targets.filter((t) => t.target.lambda).map((t) => t.pipeline))];
}

/**
 * Exactly the control plane's step roles, from its account, may assume the role; the session
 * is named `gantry-<run>` and must carry the run id as a session tag (CloudTrail here shows it).
 */
function trustPolicy(controlPlane: ControlPlaneRef): PolicyDocument {
  const principals = { AWS: [...controlPlane.stepRoles] };
  const who = {
    StringEquals: { 'aws:PrincipalAccount': controlPlane.account },
    ArnEquals: { 'aws:PrincipalArn': [...controlPlane.stepRoles] },
  };
  return PolicyDocument.fromJson({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'ControlPlaneSteps',
        Effect: 'Allow',
        Principal: principals,
        Action: 'sts:AssumeRole',
        // The TagSession statement alone is only evaluated when tags are passed: require the tag here too.
        Condition: {
          ...who,
          StringLike: { 'sts:RoleSessionName': 'gantry-*' },
          Null: { [`aws:RequestTag/${RUN_ID_SESSION_TAG}`]: 'false' },
        },
      },
      {
        Sid: 'RunIdSessionTag',
        Effect: 'Allow',
        Principal: principals,
        Action: 'sts:TagSession',
        Condition: {
          ...who,
          Null: { [`aws:RequestTag/${RUN_ID_SESSION_TAG}`]: 'false' },
          'ForAllValues:StringEquals': { 'aws:TagKeys': [RUN_ID_SESSION_TAG] },
        },
      },
    ],
  });
}
