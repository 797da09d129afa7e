import type { DeploymentConfigSpec, TrafficRouting } from './types';

const canary = (percentage: number, intervalMinutes: number): TrafficRouting => ({
  type: 'TimeBasedCanary',
  percentage,
  intervalMinutes,
});
const linear = (percentage: number, intervalMinutes: number): TrafficRouting => ({
  type: 'TimeBasedLinear',
  percentage,
  intervalMinutes,
});

/** CodeDeploy's predefined Lambda deployment configurations. */
export const PREDEFINED_CONFIGS: readonly DeploymentConfigSpec[] = (
  [
    ['CodeDeployDefault.LambdaAllAtOnce', { type: 'AllAtOnce' }],
    ['CodeDeployDefault.LambdaCanary10Percent5Minutes', canary(10, 5)],
    ['CodeDeployDefault.LambdaCanary10Percent10Minutes', canary(10, 10)],
    ['CodeDeployDefault.LambdaCanary10Percent15Minutes', canary(10, 15)],
    ['CodeDeployDefault.LambdaCanary10Percent30Minutes', canary(10, 30)],
    ['CodeDeployDefault.LambdaLinear10PercentEvery1Minute', linear(10, 1)],
    ['CodeDeployDefault.LambdaLinear10PercentEvery2Minutes', linear(10, 2)],
    ['CodeDeployDefault.LambdaLinear10PercentEvery3Minutes', linear(10, 3)],
    ['CodeDeployDefault.LambdaLinear10PercentEvery10Minutes', linear(10, 10)],
  ] as const
).map(([name, routing]) => ({ name, computePlatform: 'Lambda', routing }));

/** One traffic shift: the target version's share, then how long it holds before the next. */
export interface ShiftStep {
  readonly percent: number;
  readonly holdMinutes: number;
}

/**
 * The shifts a configuration makes: all at once; a canary's share for its interval and then
 * everything; or a linear share more at every interval until everything has moved.
 */
export function shiftPlan(routing: TrafficRouting): ShiftStep[] {
  if (routing.type === 'AllAtOnce') return [{ percent: 100, holdMinutes: 0 }];
  if (routing.type === 'TimeBasedCanary') {
    return [
      { percent: routing.percentage, holdMinutes: routing.intervalMinutes },
      { percent: 100, holdMinutes: 0 },
    ];
  }
  const steps: ShiftStep[] = [];
  for (let k = 1; steps.at(-1)?.percent !== 100; k++) {
    const percent = Math.min(100, k * routing.percentage);
    steps.push({ percent, holdMinutes: percent < 100 ? routing.intervalMinutes : 0 });
  }
  return steps;
}

/** A configuration in GetDeploymentConfig's terms. */
export function deploymentConfigInfo(config: DeploymentConfigSpec): Record<string, unknown> {
  const { routing } = config;
  const timeBased = routing.type === 'AllAtOnce' ? undefined : routing;
  return {
    deploymentConfigName: config.name,
    computePlatform: config.computePlatform,
    trafficRoutingConfig: {
      type: routing.type,
      ...(timeBased?.type === 'TimeBasedCanary'
        ? { timeBasedCanary: { canaryPercentage: timeBased.percentage, canaryInterval: timeBased.intervalMinutes } }
        : {}),
      ...(timeBased?.type === 'TimeBasedLinear'
        ? { timeBasedLinear: { linearPercentage: timeBased.percentage, linearInterval: timeBased.intervalMinutes } }
        : {}),
    },
  };
}
