import { Stack, type StackProps } from 'aws-cdk-lib';
import { EcsApplication, LambdaApplication } from 'aws-cdk-lib/aws-codedeploy';
import type { Construct } from 'constructs';
import { deployTarget } from '../config/definitions';
import type { DeployConfig, GantryConfig } from '../config/schema';
import { SampleEcsTarget } from '../constructs/sample/ecs-target';
import { SampleLambdaTarget } from '../constructs/sample/lambda-target';
import { TrafficHook } from '../constructs/sample/traffic-hook';

export interface GantrySampleServiceStackProps extends StackProps {
  readonly config: GantryConfig;
  /** The account whose sample targets this stack provisions. @default the control plane's */
  readonly account?: string;
}

/**
 * The config's targets marked `sample: true` that live in `account` (a target that names none
 * lives in the control plane's), with where they come from.
 */
export function sampleTargets(
  config: GantryConfig,
  account = config.controlPlane?.account,
): { pipeline: string; environment: string; deploy: DeployConfig }[] {
  return config.pipelines.flatMap((p) =>
    p.environments.flatMap((e) =>
      e.deploy?.sample && (e.deploy.account ?? config.controlPlane?.account) === account
        ? [{ pipeline: p.name, environment: e.name, deploy: e.deploy }]
        : [],
    ),
  );
}

/**
 * What `cdk deploy` gives the sample service so a pipeline has somewhere to release: per
 * sample target a function with its alias (or an ECS service), alarms, and a CodeDeploy
 * deployment group that rolls back; one traffic hook that health-checks each new version.
 */
export class GantrySampleServiceStack extends Stack {
  readonly hook: TrafficHook;
  readonly lambdaTargets: SampleLambdaTarget[] = [];
  readonly ecsTargets: SampleEcsTarget[] = [];

  constructor(scope: Construct, id: string, props: GantrySampleServiceStackProps) {
    super(scope, id, props);
    this.hook = new TrafficHook(this, 'TrafficHook');
    const lambdaApps = new Map<string, LambdaApplication>();
    const ecsApps = new Map<string, EcsApplication>();
    for (const { pipeline, environment, deploy } of sampleTargets(props.config, props.account)) {
      const target = deployTarget(pipeline, environment, deploy);
      const id = `${pipeline}-${environment}`;
      if (deploy.lambda) {
        let application = lambdaApps.get(deploy.application);
        if (application === undefined) {
          application = new LambdaApplication(this, `App-${deploy.application}`, {
            applicationName: deploy.application,
          });
          lambdaApps.set(deploy.application, application);
        }
        this.lambdaTargets.push(new SampleLambdaTarget(this, `Target-${id}`, { target, application, hook: this.hook }));
      } else if (deploy.ecs) {
        let application = ecsApps.get(deploy.application);
        if (application === undefined) {
          application = new EcsApplication(this, `App-${deploy.application}`, { applicationName: deploy.application });
          ecsApps.set(deploy.application, application);
        }
        this.ecsTargets.push(
          new SampleEcsTarget(this, `Target-${id}`, {
            target,
            application,
            terminationWaitMinutes: deploy.ecs.terminationWaitMinutes,
            testListenerPort: deploy.ecs.testListenerPort,
          }),
        );
      }
    }
  }
}
