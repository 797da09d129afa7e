import { z } from 'zod';

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

export const TrafficShiftSchema = z.object({
  type: z.enum(['AllAtOnce', 'TimeBasedCanary', 'TimeBasedLinear']),
  percent: z.number().int().min(1).max(100),
  minutes: z.number().int().min(0),
});
export type TrafficShift = z.infer<typeof TrafficShiftSchema>;

/**
 * Where and how one environment is released, as the Deploy step reads it from the plan: the
 * CodeDeploy application and group, the compute target, the traffic shift, the bake time and the
 * hooks, all resolved from config when the app is synthesized.
 */
export const DeployTargetSchema = z.object({
  kind: z.enum(['lambda', 'ecs']),
  application: z.string(),
  deploymentGroup: z.string(),
  /** The CodeDeploy deployment configuration name (predefined, or Gantry's custom one). */
  deploymentConfig: z.string(),
  /** As the config names it: `Canary10Percent5Minutes`, `custom canary 20% / 3 min`… */
  strategy: z.string(),
  shift: TrafficShiftSchema,
  bakeSeconds: z.number().int().min(0),
  timeoutSeconds: z.number().int().min(60),
  // CDK drops nulls from the definition it embeds: a missing kind reads as null.
  lambda: z.object({ function: z.string(), alias: z.string(), artifact: z.string() }).nullable().default(null),
  ecs: z
    .object({
      cluster: z.string(),
      service: z.string(),
      container: z.string(),
      port: z.number().int(),
      /** The build artifact holding the task definition ARN the build registered. */
      taskDefinitionArtifact: z.string(),
      /** The only task definition family Deploy accepts from that artifact. */
      family: z.string(),
    })
    .nullable()
    .default(null),
  hooks: z.object({
    beforeAllowTraffic: z.string().nullable().default(null),
    afterAllowTraffic: z.string().nullable().default(null),
  }),
});
export type DeployTarget = z.infer<typeof DeployTargetSchema>;

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

/** The percentages traffic passes through: canary 10 → [10, 100]; linear 25 → [25, 50, 75, 100]. */
export function shiftSteps(shift: TrafficShift): number[] {
  if (shift.type === 'AllAtOnce') return [100];
  if (shift.type === 'TimeBasedCanary') return shift.percent >= 100 ? [100] : [shift.percent, 100];
  const steps: number[] = [];
  for (let p = shift.percent; p < 100; p += shift.percent) steps.push(p);
  return [...steps, 100];
}
