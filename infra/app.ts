import { createRequire } from 'node:module';
import { Annotations, App, type AppProps, Aws, Validations } from 'aws-cdk-lib';
import { stepRoleName } from '../shared/config/names';
import { deployTarget } from './config/definitions';
import { configWarnings, foreignAccounts, type GantryConfig } from './config/schema';
import { CROSS_ACCOUNT_STEPS, controlPlaneRef } from './constructs/cross-account';
import type { NamedTarget } from './constructs/deployments';
import { SIGNING_STEPS } from './constructs/names';
import { GantryControlPlaneStack } from './stacks/control-plane-stack';
import { GantryDataStack } from './stacks/data-stack';
import { GantryIamWatchStack, IAM_EVENTS_REGION } from './stacks/iam-watch-stack';
import { GantrySampleServiceStack, sampleTargets } from './stacks/sample-service-stack';
import { GantryTargetStack } from './stacks/target-stack';

export interface GantryAppOptions extends AppProps {
  readonly config: GantryConfig;
  /** Run cdk-nag's AWS Solutions checks at synthesis. @default true */
  readonly nag?: boolean;
}

export interface GantryApp {
  readonly app: App;
  readonly data: GantryDataStack;
  readonly controlPlane: GantryControlPlaneStack;
  /** Present when the config marks some deploy target in the control plane's account `sample: true`. */
  readonly sample?: GantrySampleServiceStack;
  /** `GantrySampleService-<account>`: the sample targets of each other account, deployed there. */
  readonly foreignSamples: readonly GantrySampleServiceStack[];
  /** `GantryTarget-<account>`: one per account other than the control plane's that a target lives in. */
  readonly targets: readonly GantryTargetStack[];
  /** `GantryIamWatch` (us-east-1): present when the control plane is configured in another region. */
  readonly iamWatch?: GantryIamWatchStack;
}

/**
 * Builds the Gantry CDK app. `cdk synth` calls this through `infra/bin/app.ts`; local mode calls
 * it in-process with bundling skipped and runs what the templates describe.
 */
export function buildGantryApp(options: GantryAppOptions): GantryApp {
  const { config, nag = true, ...appProps } = options;
  const app = new App(appProps);
  const data = new GantryDataStack(app, 'GantryData', {
    config,
    description: 'Gantry CI/CD control plane: state (deliveries, connection secrets)',
  });
  const controlPlane = new GantryControlPlaneStack(app, 'GantryControlPlane', {
    config,
    data,
    description: 'Gantry CI/CD control plane: webhook front door, event bus, pipelines',
  });
  const description = 'Gantry sample service: release targets (functions, aliases, deployment groups, alarms, hooks)';
  const home = config.controlPlane?.account;
  let sample: GantrySampleServiceStack | undefined;
  if (sampleTargets(config, home).length > 0) {
    sample = new GantrySampleServiceStack(app, 'GantrySampleService', { config, account: home, description });
    sample.addStackDependency(controlPlane, 'custom deployment configurations are named by the control plane');
  }
  const targets = targetStacks(app, config);
  for (const stack of targets) stack.addStackDependency(controlPlane, 'its trust policy names the step roles');
  const foreignSamples = targets.flatMap((target) => {
    const account = target.account;
    if (sampleTargets(config, account).length === 0) return [];
    const stack = new GantrySampleServiceStack(app, `GantrySampleService-${account}`, {
      config,
      account,
      env: { account, region: config.controlPlane?.region },
      description: `${description} in account ${account}`,
    });
    stack.addStackDependency(target, "custom deployment configurations are named by the account's GantryTarget stack");
    return [stack];
  });
  const iamWatch = iamWatchStack(app, config);
  for (const warning of configWarnings(config)) Annotations.of(controlPlane).addWarningV2('gantry:config', warning);
  if (nag) {
    // Loaded only when its checks run (cdk synth, the tests): its 270 files of rules are ~200 ms of
    // a first `npm start`, which synthesizes without them.
    const { AwsSolutionsChecks } = createRequire(import.meta.url)('cdk-nag') as typeof import('cdk-nag');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  }
  return {
    app,
    data,
    controlPlane,
    targets,
    foreignSamples,
    ...(sample ? { sample } : {}),
    ...(iamWatch ? { iamWatch } : {}),
  };
}

/**
 * `GantryIamWatch` in us-east-1, for a control plane in another region: IAM's CloudTrail events
 * reach EventBridge there only, and are forwarded to the control plane's signer-tampering rule.
 */
function iamWatchStack(app: App, config: GantryConfig): GantryIamWatchStack | undefined {
  const home = config.controlPlane;
  if (home === undefined || home.region === IAM_EVENTS_REGION) return undefined;
  return new GantryIamWatchStack(app, 'GantryIamWatch', {
    env: { account: home.account, region: IAM_EVENTS_REGION },
    description: `Gantry: forwards changes to the signing roles (IAM, seen in ${IAM_EVENTS_REGION} only) to the control plane in ${home.region}`,
    homeRegion: home.region,
    roleNames: SIGNING_STEPS.map((step) => stepRoleName(step, home.region)),
  });
}

/** A `GantryTarget-<account>` stack per account other than the control plane's, with its targets. */
function targetStacks(app: App, config: GantryConfig): GantryTargetStack[] {
  const home = config.controlPlane;
  if (home === undefined) return [];
  return foreignAccounts(config).map((account) => {
    const targets: NamedTarget[] = config.pipelines.flatMap((p) =>
      p.environments.flatMap((e) =>
        e.deploy?.account === account
          ? [
              {
                pipeline: p.name,
                environment: e.name,
                target: deployTarget(p.name, e.name, e.deploy, home.account),
                gated: e.approval.required,
              },
            ]
          : [],
      ),
    );
    return new GantryTargetStack(app, `GantryTarget-${account}`, {
      env: { account, region: home.region },
      description: `Gantry release target: account ${account}, released into by the control plane in ${home.account}`,
      controlPlane: controlPlaneRef(home, CROSS_ACCOUNT_STEPS, Aws.PARTITION),
      targets,
    });
  });
}
