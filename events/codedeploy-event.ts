import * as z from 'zod/mini';

/** The detail-type of CodeDeploy's deployment state-change events on the default bus. */
export const CODEDEPLOY_STATE_CHANGE = 'CodeDeploy Deployment State-change Notification';

/** The states that end a deployment: the ones the Deploy step waits for. */
export const DEPLOYMENT_END_STATES = ['SUCCESS', 'FAILURE', 'STOP'] as const;

/** A CodeDeploy deployment state-change event, as EventBridge delivers it (only what Gantry reads). */
export const DeploymentStateChangeSchema = z.object({
  source: z.literal('aws.codedeploy'),
  'detail-type': z.literal(CODEDEPLOY_STATE_CHANGE),
  /** The account the deployment ran in (set by EventBridge; forwarded events keep the target's). */
  account: z.optional(z.string()),
  detail: z.object({
    deploymentId: z.string().check(z.minLength(1)),
    application: z.string(),
    deploymentGroup: z.string(),
    state: z.string(),
  }),
});
export type DeploymentStateChange = z.infer<typeof DeploymentStateChangeSchema>;

/** What CodeDeploy hands a lifecycle hook function (BeforeAllowTraffic, AfterAllowTraffic). */
export const LifecycleHookEventSchema = z.object({
  DeploymentId: z.string().check(z.minLength(1)),
  LifecycleEventHookExecutionId: z.string().check(z.minLength(1)),
});
export type LifecycleHookEvent = z.infer<typeof LifecycleHookEventSchema>;
