import { Annotations, App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { configWarnings, type GantryConfig } from './config/schema';
import { GantryControlPlaneStack } from './stacks/control-plane-stack';
import { GantryDataStack } from './stacks/data-stack';
import { GantrySampleServiceStack, sampleTargets } from './stacks/sample-service-stack';

export interface GantryAppOptions extends AppProps {
  readonly config: GantryConfig;
  /** Run cdk-nag's AWS Solutions checks at synthesis. @default true */
  readonly nag?: boolean;
}

export interface GantryApp {
  readonly app: App;
  readonly data: GantryDataStack;
  readonly controlPlane: GantryControlPlaneStack;
  /** Present when the config marks some deploy target `sample: true`. */
  readonly sample?: GantrySampleServiceStack;
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
  let sample: GantrySampleServiceStack | undefined;
  if (sampleTargets(config).length > 0) {
    sample = new GantrySampleServiceStack(app, 'GantrySampleService', {
      config,
      description: 'Gantry sample service: release targets (functions, aliases, deployment groups, alarms, hooks)',
    });
    sample.addStackDependency(controlPlane, 'custom deployment configurations are named by the control plane');
  }
  for (const warning of configWarnings(config)) Annotations.of(controlPlane).addWarningV2('gantry:config', warning);
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, data, controlPlane, ...(sample ? { sample } : {}) };
}
