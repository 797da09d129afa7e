import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { type EcsApplication, EcsDeploymentConfig, EcsDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { FlowLogDestination, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import {
  Cluster,
  ContainerImage,
  ContainerInsights,
  DeploymentControllerType,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  ApplicationTargetGroup,
  HttpCodeTarget,
  TargetType,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { Construct } from 'constructs';
import type { DeployTarget } from '../../../events';

export interface SampleEcsTargetProps {
  readonly target: DeployTarget;
  readonly application: EcsApplication;
}

/**
 * One ECS release target: a Fargate service behind an ALB whose production listener CodeDeploy
 * moves from the blue to the green target group, with a test listener for the hooks, a
 * termination wait before blue goes, and a 5xx alarm that rolls back.
 */
export class SampleEcsTarget extends Construct {
  readonly service: FargateService;
  readonly group: EcsDeploymentGroup;
  readonly alarm: Alarm;

  constructor(
    scope: Construct,
    id: string,
    props: SampleEcsTargetProps & { readonly terminationWaitMinutes: number; readonly testListenerPort: number },
  ) {
    super(scope, id);
    const { target } = props;
    const ecs = target.ecs;
    if (ecs === null) throw new Error(`${target.application}/${target.deploymentGroup} is not an ECS target`);
    const vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC }],
      flowLogs: { all: { destination: FlowLogDestination.toCloudWatchLogs() } },
    });
    const cluster = new Cluster(this, 'Cluster', {
      vpc,
      clusterName: ecs.cluster,
      containerInsightsV2: ContainerInsights.ENABLED,
    });
    const task = new FargateTaskDefinition(this, 'Task', { cpu: 256, memoryLimitMiB: 512 });
    task.addContainer(ecs.container, {
      image: ContainerImage.fromRegistry('public.ecr.aws/nginx/nginx:stable-alpine'),
      portMappings: [{ containerPort: ecs.port }],
      logging: LogDrivers.awsLogs({ streamPrefix: ecs.service }),
    });
    this.service = new FargateService(this, 'Service', {
      cluster,
      serviceName: ecs.service,
      taskDefinition: task,
      desiredCount: 1,
      assignPublicIp: true,
      deploymentController: { type: DeploymentControllerType.CODE_DEPLOY },
    });
    const alb = new ApplicationLoadBalancer(this, 'Alb', { vpc, internetFacing: true });
    const targetGroup = (name: string) =>
      new ApplicationTargetGroup(this, name, {
        vpc,
        port: ecs.port,
        protocol: ApplicationProtocol.HTTP,
        targetType: TargetType.IP,
        healthCheck: { path: '/', interval: Duration.seconds(15) },
      });
    const blue = targetGroup('Blue');
    const green = targetGroup('Green');
    const listener = alb.addListener('Production', { port: 80, defaultTargetGroups: [blue] });
    const testListener = alb.addListener('Test', {
      port: props.testListenerPort,
      protocol: ApplicationProtocol.HTTP,
      defaultTargetGroups: [green],
    });
    this.service.attachToApplicationTargetGroup(blue);
    this.alarm = new Alarm(this, 'Http5xx', {
      alarmName: `gantry-${ecs.service}-5xx`,
      metric: blue.metrics.httpCodeTarget(HttpCodeTarget.TARGET_5XX_COUNT, { period: Duration.minutes(1) }),
      threshold: 5,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.group = new EcsDeploymentGroup(this, 'Group', {
      application: props.application,
      deploymentGroupName: target.deploymentGroup,
      service: this.service,
      deploymentConfig: EcsDeploymentConfig.fromEcsDeploymentConfigName(this, 'Config', target.deploymentConfig),
      blueGreenDeploymentConfig: {
        blueTargetGroup: blue,
        greenTargetGroup: green,
        listener,
        testListener,
        terminationWaitTime: Duration.minutes(props.terminationWaitMinutes),
      },
      alarms: [this.alarm],
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
    for (const [nagId, reason] of [
      ['AwsSolutions-ELB2', 'The sample load balancer logs nothing; a real service sets its own access-log bucket.'],
      ['AwsSolutions-EC23', 'The sample load balancer is public on purpose: it serves the sample service.'],
      ['AwsSolutions-ECS2', 'The sample container has no secrets; its environment holds none.'],
      [
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AWSCodeDeployRoleForECS]',
        "CodeDeploy's own policy for ECS blue/green deployments.",
      ],
    ] as const) {
      Validations.of(this).acknowledge({ id: nagId, reason });
    }
  }
}
