import type { DeployTarget, TrafficShift } from '../../events';

/** CodeDeploy's predefined traffic-shifting configurations, by the name Gantry's config uses. */
export const PREDEFINED_STRATEGIES = {
  AllAtOnce: { type: 'AllAtOnce', percent: 100, minutes: 0 },
  Canary10Percent5Minutes: { type: 'TimeBasedCanary', percent: 10, minutes: 5 },
  Canary10Percent10Minutes: { type: 'TimeBasedCanary', percent: 10, minutes: 10 },
  Canary10Percent15Minutes: { type: 'TimeBasedCanary', percent: 10, minutes: 15 },
  Canary10Percent30Minutes: { type: 'TimeBasedCanary', percent: 10, minutes: 30 },
  Linear10PercentEvery1Minute: { type: 'TimeBasedLinear', percent: 10, minutes: 1 },
  Linear10PercentEvery2Minutes: { type: 'TimeBasedLinear', percent: 10, minutes: 2 },
  Linear10PercentEvery3Minutes: { type: 'TimeBasedLinear', percent: 10, minutes: 3 },
  Linear10PercentEvery10Minutes: { type: 'TimeBasedLinear', percent: 10, minutes: 10 },
} as const;
export type PredefinedStrategy = keyof typeof PREDEFINED_STRATEGIES;

/** The predefined configurations CodeDeploy has for ECS (a subset of Lambda's, with other names). */
const ECS_PREDEFINED: Partial<Record<PredefinedStrategy, string>> = {
  AllAtOnce: 'CodeDeployDefault.ECSAllAtOnce',
  Canary10Percent5Minutes: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
  Canary10Percent15Minutes: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
  Linear10PercentEvery1Minute: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes',
  Linear10PercentEvery3Minutes: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
};

/** The CodeDeploy configuration name for a shift: predefined where CodeDeploy has one, else Gantry's own. */
export function deploymentConfigName(
  kind: DeployTarget['kind'],
  strategy: string,
  customName: string,
): { name: string; custom: boolean } {
  if (kind === 'lambda' && strategy in PREDEFINED_STRATEGIES) {
    return { name: `CodeDeployDefault.Lambda${strategy}`, custom: false };
  }
  const ecs = ECS_PREDEFINED[strategy as PredefinedStrategy];
  if (kind === 'ecs' && ecs !== undefined) return { name: ecs, custom: false };
  return { name: customName, custom: true };
}

/** A target as one line: `lambda gantry-sample-service-dev:live via sample-service/dev`. */
export function describeTarget(target: DeployTarget): string {
  const what =
    target.lambda !== null
      ? `lambda ${target.lambda.function}:${target.lambda.alias}`
      : `ecs ${target.ecs?.cluster}/${target.ecs?.service}`;
  return `${what} via ${target.application}/${target.deploymentGroup}`;
}

/**
 * Whether two targets' version numbers name the same things: one account's function and alias,
 * or cluster and service. A version left live, or restored, means something only there; renaming
 * the CodeDeploy application or group changes nothing about it.
 */
export function sameVersions(a: DeployTarget, b: DeployTarget): boolean {
  return (
    a.kind === b.kind &&
    a.account === b.account &&
    a.lambda?.function === b.lambda?.function &&
    a.lambda?.alias === b.lambda?.alias &&
    a.ecs?.cluster === b.ecs?.cluster &&
    a.ecs?.service === b.ecs?.service
  );
}

/** The percentages traffic passes through: canary 10 → [10, 100]; linear 25 → [25, 50, 75, 100]. */
export function shiftSteps(shift: TrafficShift): number[] {
  if (shift.type === 'AllAtOnce') return [100];
  if (shift.type === 'TimeBasedCanary') return shift.percent >= 100 ? [100] : [shift.percent, 100];
  const steps: number[] = [];
  for (let p = shift.percent; p < 100; p += shift.percent) steps.push(p);
  return [...steps, 100];
}
