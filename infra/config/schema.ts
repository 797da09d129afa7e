import * as z from 'zod/mini';
import {
  ApprovalPolicySchema,
  ApproversSchema,
  CONFIGURATION_CHANGE_POLICIES,
  GatesSchema,
  GroupName,
  IDENTITY_NAME,
  NOTIFICATION_EVENTS,
  NotificationEventSchema,
  ProviderSchema,
} from '../../events';
import { buildProjectName, customConfigName, failedRunsAlarm } from '../../shared/config/names';
import { PREDEFINED_STRATEGIES } from '../../shared/deploy/target';
import { BUILD_CLASSES } from '../../shared/pipelines/artifact-layout';
import { BranchPatternsSchema } from '../../shared/pipelines/branches';
import { API_URL_EXAMPLES, apiUrlFor, PROVIDERS_REQUIRING_API_URL } from '../../shared/status/defaults';
import { checkBranchClaims } from './claims';

const Name = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9-]{0,39}$/, 'use lower-case letters, digits and dashes, starting with a letter (max 40)'),
  );

const EnvName = z
  .string()
  .check(z.regex(/^[A-Z_][A-Z0-9_]*$/, 'environment variable names are upper case, digits and _'));

/** A provider account or instance whose webhooks share one secret. */
export const ConnectionConfigSchema = z
  .strictObject({
    name: Name.check(z.describe('How pipelines refer to this connection')),
    provider: ProviderSchema,
    secretName: z
      .optional(z.string().check(z.minLength(1)))
      .check(z.describe('Secrets Manager name of the connection secret. Default: gantry/connections/<name>')),
    apiUrl: z
      .optional(z.url())
      .check(z.describe("The provider's REST API, for commit statuses. Required for self-hosted providers")),
  })
  .check(
    z.superRefine((c, ctx) => {
      if (c.apiUrl === undefined && PROVIDERS_REQUIRING_API_URL.includes(c.provider)) {
        ctx.addIssue({
          code: 'custom',
          path: ['apiUrl'],
          message: `${c.provider} has no public API address: set apiUrl (e.g. ${API_URL_EXAMPLES[c.provider]})`,
        });
      }
    }),
  );
export type ConnectionConfig = z.infer<typeof ConnectionConfigSchema>;

export const SourceConfigSchema = z.strictObject({
  provider: ProviderSchema,
  repository: z
    .string()
    .check(
      z.minLength(3),
      z.regex(/^[^\s/]+(\/[^\s/]+)+$/, 'must look like owner/name'),
      z.describe(
        'Full name as the provider spells it: owner/name, group/subgroup/name, PROJECT/slug, project/repository',
      ),
    ),
  connection: Name,
});

const TriggerSchema = z.strictObject({
  branches: BranchPatternsSchema.check(z.describe('Branch globs; * matches any characters, including /')),
  exclude: z.optional(BranchPatternsSchema).check(z.describe('Globs of branches never to run, even if included')),
});

export const TriggersSchema = z
  .strictObject(
    {
      push: z.optional(TriggerSchema).check(z.describe('Run on pushes to these branches')),
      tags: z
        .optional(z.strictObject({ include: BranchPatternsSchema, exclude: z.optional(BranchPatternsSchema) }))
        .check(z.describe('Run on tags matching these globs')),
      pullRequests: z
        .optional(
          z.strictObject({
            targetBranches: BranchPatternsSchema,
            exclude: z.optional(BranchPatternsSchema),
            forks: z
              ._default(z.enum(['skip', 'build']), 'skip')
              .check(
                z.describe(
                  'Pull requests from forks: skip (default) or build, always in the untrusted project (no secrets, no release artifacts)',
                ),
              ),
          }),
        )
        .check(z.describe('Validate pull requests into these branches (build and gates, never deploy)')),
    },
    { error: (issue) => (issue.input === undefined ? 'declare triggers: push, tags and/or pullRequests' : undefined) },
  )
  .check(z.refine((t) => t.push ?? t.tags ?? t.pullRequests, 'declare at least one trigger'));

/** A build variable's secret: its name, and a JSON key after a colon. The grant names the secret by name. */
const BuildSecretRef = z.string().check(
  z.minLength(1),
  z.refine(
    (v) => !v.startsWith('arn:'),
    'name the secret (name[:json-key]), not its ARN: the build role is granted it by name',
  ),
  z.refine(
    (v) => v.startsWith('arn:') || /^[A-Za-z0-9/_+=.@-]+(:[^:]*){0,3}$/.test(v),
    "a secret's name holds only letters, digits and /_+=.@- (no * or ?, which the grant would read as wildcards), then :json-key[:stage[:version]] if any",
  ),
);

export const BuildConfigSchema = z.strictObject({
  buildspec: z
    ._default(z.string().check(z.minLength(1)), 'buildspec.yml')
    .check(z.describe('Path of the buildspec in the repository')),
  computeSize: z._default(z.enum(['small', 'medium', 'large', '2xlarge']), 'small'),
  timeoutMinutes: z._default(z.number().check(z.int(), z.gte(5), z.lte(2160)), 30),
  env: z._default(z.record(EnvName, z.string()), {}).check(z.describe('Plain environment variables of the build')),
  secrets: z
    ._default(z.record(EnvName, BuildSecretRef), {})
    .check(
      z.describe(
        'Environment variables read from Secrets Manager at build time, in trusted builds (gated and ungated): NAME: secret-name[:json-key]. Never values',
      ),
    ),
  gatedSecrets: z
    ._default(z.record(EnvName, BuildSecretRef), {})
    .check(
      z.describe(
        'As secrets, but only in gated builds: refs that deploy to an environment needing approval (a protected release branch), never a push to a preview or develop branch',
      ),
    ),
});

const StrategySchema = z
  .union([
    z.enum(Object.keys(PREDEFINED_STRATEGIES) as [keyof typeof PREDEFINED_STRATEGIES]),
    z.strictObject({
      canary: z.strictObject({
        percent: z.number().check(z.int(), z.gte(1), z.lte(99)),
        minutes: z.number().check(z.int(), z.gte(1), z.lte(2880)),
      }),
    }),
    z.strictObject({
      linear: z.strictObject({
        percent: z.number().check(z.int(), z.gte(1), z.lte(99)),
        everyMinutes: z.number().check(z.int(), z.gte(1), z.lte(2880)),
      }),
    }),
  ])
  .check(
    z.describe(
      'How traffic moves to the new version: AllAtOnce, Canary10Percent5Minutes, Linear10PercentEvery1Minute…, or { canary: { percent, minutes } } / { linear: { percent, everyMinutes } }',
    ),
  );

/** A 12-digit AWS account id. */
const AccountId = z
  .string({ error: 'an AWS account id is 12 digits, quoted in YAML (a number loses leading zeros)' })
  .check(z.regex(/^\d{12}$/, 'an AWS account id is 12 digits (quote it in YAML)'));
const Region = z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d{1,2}$/, 'an AWS region, e.g. eu-west-1'));

const CodeDeployName = z.string().check(z.regex(/^[A-Za-z0-9_.+-]{1,100}$/, 'letters, digits and _ . + - (max 100)'));

/** Where an environment is released: a CodeDeploy application and deployment group, and what they shift. */
export const DeployConfigSchema = z
  .strictObject({
    account: z
      .optional(AccountId)
      .check(
        z.describe(
          "The AWS account the target lives in (default: the control plane's). Another account deploys the GantryTarget-<account> stack",
        ),
      ),
    region: z.optional(Region).check(z.describe("The target's region (default: the control plane's)")),
    application: CodeDeployName.check(z.describe('The CodeDeploy application')),
    deploymentGroup: CodeDeployName.check(
      z.describe('The CodeDeploy deployment group (its alarms and rollback settings)'),
    ),
    lambda: z.optional(
      z.strictObject({
        function: z
          .string()
          .check(
            z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'a Lambda function name'),
            z.describe('The function whose alias is shifted'),
          ),
        alias: z._default(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,128}$/)), 'live'),
        artifact: z
          ._default(
            z.string().check(
              z.minLength(1),
              // The target account's grant names this path: a wildcard or policy variable would widen
              // it, and a path the build's upload does not spell the same way would miss the object.
              z.regex(/^[^*?$]+$/, 'a path without *, ? or $ (a target account may read exactly this artifact)'),
              z.refine(
                (path) =>
                  path
                    .replace(/^\/+/, '')
                    .split('/')
                    .every((segment) => segment !== '' && segment !== '.' && segment !== '..'),
                'a plain relative path, as the build uploads it (no empty, . or .. segment, no trailing /)',
              ),
            ),
            'dist/function.zip',
          )
          .check(z.describe("The function's zip among the build artifacts")),
        configurationChanges: z
          ._default(z.enum(CONFIGURATION_CHANGE_POLICIES), 'refuse')
          .check(
            z.describe(
              'A release whose new version runs other layers, handler, runtime or environment than the live version: refuse (default; release it with `gantry runs retry <run> --accept-configuration <digest>`) or record (release it, noting the change in deploy.started)',
            ),
          ),
      }),
    ),
    ecs: z.optional(
      z.strictObject({
        cluster: z.string().check(z.minLength(1)),
        service: z.string().check(z.minLength(1)),
        container: z.string().check(z.minLength(1)),
        port: z.number().check(z.int(), z.gte(1), z.lte(65535)),
        taskDefinitionArtifact: z
          ._default(z.string().check(z.minLength(1)), 'dist/taskdef-arn.txt')
          .check(z.describe('The build artifact holding the ARN of the task definition the build registered')),
        taskDefinitionFamily: z
          .optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,255}$/)))
          .check(z.describe('The only task definition family Deploy accepts (default: the service name)')),
        testListenerPort: z._default(z.number().check(z.int(), z.gte(1), z.lte(65535)), 8080),
        terminationWaitMinutes: z._default(z.number().check(z.int(), z.gte(0), z.lte(2880)), 5),
      }),
    ),
    strategy: z._default(StrategySchema, 'Canary10Percent5Minutes'),
    bakeMinutes: z
      ._default(z.number().check(z.int(), z.gte(0), z.lte(1440)), 5)
      .check(z.describe("Minutes at full traffic before the run succeeds; the group's alarms are checked at the end")),
    timeoutMinutes: z
      ._default(z.number().check(z.int(), z.gte(5), z.lte(2880)), 120)
      .check(
        z.describe('If no deployment state-change event arrives by then, the run asks CodeDeploy once and decides'),
      ),
    hooks: z
      .optional(
        z.strictObject({
          beforeAllowTraffic: z.optional(z.string().check(z.minLength(1))),
          afterAllowTraffic: z.optional(z.string().check(z.minLength(1))),
        }),
      )
      .check(z.describe("Lifecycle hook functions (names). Default for sample targets: Gantry's traffic-hook")),
    sample: z
      ._default(z.boolean(), false)
      .check(
        z.describe(
          'The GantrySampleService stack (GantrySampleService-<account> for a target in another account) provisions this target (function, alias, deployment group, alarms, hooks) running examples/sample-service',
        ),
      ),
  })
  .check(z.refine((d) => (d.lambda === undefined) !== (d.ecs === undefined), 'declare exactly one of lambda or ecs'));
export type DeployConfig = z.infer<typeof DeployConfigSchema>;

export const EnvironmentConfigSchema = z.strictObject({
  name: Name,
  branches: BranchPatternsSchema.check(z.describe('Pushes to these branches deploy to this environment')),
  approval: z._default(ApprovalPolicySchema, {
    required: false,
    approverGroups: [],
    minApprovals: 1,
    timeoutMinutes: 1440,
    separationOfDuties: true,
  }),
  deploy: z.optional(DeployConfigSchema).check(z.describe('Where pushes to this environment are released')),
  production: z
    .optional(z.boolean())
    .check(
      z.describe(
        "A production environment, which requireSeparateAccount keeps out of the control plane's account (default: true for an environment named prod or production)",
      ),
    ),
  operators: z
    .optional(z.array(GroupName))
    .check(
      z.describe(
        "Groups whose members may cancel, roll back or retry this environment's runs (default: its approver groups)",
      ),
    ),
});

export const PipelineConfigSchema = z.strictObject({
  name: Name,
  source: SourceConfigSchema,
  triggers: TriggersSchema,
  build: z._default(BuildConfigSchema, {
    buildspec: 'buildspec.yml',
    computeSize: 'small',
    timeoutMinutes: 30,
    env: {},
    secrets: {},
    gatedSecrets: {},
  }),
  gates: z._default(GatesSchema, {}),
  environments: z._default(z.array(EnvironmentConfigSchema), []),
  concurrency: z
    ._default(z.enum(['queued', 'superseded']), 'queued')
    .check(z.describe('Per pipeline + environment: queued runs wait their turn; superseded cancels the older run')),
  operators: z
    ._default(z.array(GroupName), [])
    .check(z.describe('Groups whose members may cancel, roll back or retry any run of this pipeline')),
  requireSeparateAccount: z
    ._default(z.boolean(), false)
    .check(
      z.describe(
        "Refuse a production environment whose deploy target is in the control plane's account (AWS's multi-account guidance)",
      ),
    ),
});
export type PipelineConfig = z.infer<typeof PipelineConfigSchema>;

/** The audit ledger: how long each record class is kept, and how often chain heads are signed. */
export const AuditConfigSchema = z.strictObject({
  retentionDays: z._default(
    z.strictObject({
      /** Change evidence (runs, builds, gates, approvals, deployments). 2557 days = 7 years. */
      change: z._default(z.number().check(z.int(), z.gte(1)), 2557),
      /** Webhook deliveries accepted or rejected. */
      delivery: z._default(z.number().check(z.int(), z.gte(1)), 400),
    }),
    { change: 2557, delivery: 400 },
  ),
  /** Minutes between signed checkpoints of every chain head. */
  checkpointMinutes: z._default(z.number().check(z.int(), z.gte(1), z.lte(1440)), 60),
  /** Days each checkpoint is locked (S3 Object Lock) in AWS. */
  checkpointLockDays: z._default(z.number().check(z.int(), z.gte(1)), 2557),
  /**
   * `compliance`: nobody, the account's root user included, can delete a checkpoint (or the
   * bucket) before its lock ends. `governance`: principals allowed `s3:BypassGovernanceRetention`
   * can, so a trial installation can be torn down.
   */
  checkpointLockMode: z
    ._default(z.enum(['compliance', 'governance']), 'compliance')
    .check(z.describe('Object Lock mode of audit checkpoints: compliance for production, governance for trials')),
});
export type AuditConfig = z.infer<typeof AuditConfigSchema>;

/** Which events a notification target receives: all of them unless narrowed here. */
const NotificationFilter = {
  events: z
    ._default(z.array(NotificationEventSchema).check(z.minLength(1)), [...NOTIFICATION_EVENTS])
    .check(
      z.describe('Which events: run-succeeded, run-failed, approval-requested, deployment-rolled-back (default: all)'),
    ),
  pipelines: z
    .optional(z.array(Name).check(z.minLength(1)))
    .check(z.describe('Only runs of these pipelines (default: every pipeline)')),
  environments: z
    .optional(z.array(Name).check(z.minLength(1)))
    .check(z.describe('Only runs that deploy to these environments (default: any, runs that deploy nowhere included)')),
};
const WebhookSecretName = z
  .optional(z.string().check(z.minLength(1)))
  .check(
    z.describe('Secrets Manager name of the secret holding {"webhookUrl": …}. Default: gantry/notifications/<name>'),
  );
const MaxPerSecond = (fallback: number) =>
  z
    ._default(z.number().check(z.positive(), z.lte(100)), fallback)
    .check(z.describe('Messages per second this target takes; more are delayed and retried, never dropped'));

/** Where notifications go: a Slack or Microsoft Teams incoming webhook, or an SNS topic (e-mail). */
export const NotificationTargetSchema = z.discriminatedUnion('type', [
  z.strictObject({
    name: Name,
    type: z.literal('slack'),
    secretName: WebhookSecretName,
    maxPerSecond: MaxPerSecond(1),
    ...NotificationFilter,
  }),
  z.strictObject({
    name: Name,
    type: z.literal('teams'),
    secretName: WebhookSecretName,
    maxPerSecond: MaxPerSecond(1),
    ...NotificationFilter,
  }),
  z.strictObject({
    name: Name,
    type: z.literal('sns'),
    emails: z
      ._default(z.array(z.email()), [])
      .check(z.describe('E-mail addresses subscribed to the topic Gantry creates')),
    maxPerSecond: MaxPerSecond(10),
    ...NotificationFilter,
  }),
]);
export type NotificationTargetConfig = z.infer<typeof NotificationTargetSchema>;

export const NotificationsConfigSchema = z.strictObject({
  targets: z._default(z.array(NotificationTargetSchema), []),
  slackApp: z
    .optional(
      z.strictObject({
        signingSecretName: z
          ._default(z.string().check(z.minLength(1)), 'gantry/notifications/slack-signing-secret')
          .check(
            z.describe(
              'Secrets Manager name of the secret holding {"signingSecret": …}, the Slack app\'s signing secret',
            ),
          ),
      }),
    )
    .check(
      z.describe(
        'The Slack app whose buttons approve or reject from Slack (its request URL: <webhook API>/slack/interactions); absent: no buttons',
      ),
    ),
});
export type NotificationsConfig = z.infer<typeof NotificationsConfigSchema>;

/** The Secrets Manager name of a Slack or Teams target's webhook URL secret. */
export function notificationSecretName(target: { readonly name: string; readonly secretName?: string }): string {
  return target.secretName ?? `gantry/notifications/${target.name}`;
}

const HttpsUrl = z.url({ protocol: /^https$/ });

/**
 * The web console in AWS: an HTTP API whose JWT authorizer trusts one OIDC issuer, and a
 * function that verifies each bearer token again and maps one of its claims to `approvers.identities`.
 */
export const ConsoleConfigSchema = z.strictObject({
  issuer: HttpsUrl.check(
    z.describe(
      "The OIDC issuer, exactly as the tokens' iss claim says it (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>)",
    ),
  ),
  audience: z
    .string()
    .check(
      z.minLength(1),
      z.describe("The console's client id at the IdP (a public client: no secret); the ID token's aud"),
    ),
  claim: z
    ._default(z.string().check(z.regex(/^[A-Za-z0-9_:.-]{1,64}$/)), 'sub')
    .check(
      z.describe(
        'The ID token claim whose value approvers.identities.<name>.oidc lists: sub (default), or email (only when email_verified is true), or another stable claim (Entra ID: oid)',
      ),
    ),
  scopes: z
    ._default(z.array(z.string().check(z.minLength(1))), ['openid', 'email', 'profile'])
    .check(z.describe('Scopes the sign-in asks for')),
  authorizationEndpoint: z
    .optional(HttpsUrl)
    .check(
      z.describe(
        "The IdP's authorize URL (default: read from <issuer>/.well-known/openid-configuration by the browser)",
      ),
    ),
  tokenEndpoint: z
    .optional(HttpsUrl)
    .check(
      z.describe("The IdP's token URL (default: read from <issuer>/.well-known/openid-configuration by the browser)"),
    ),
  jwksUri: z
    .optional(HttpsUrl)
    .check(
      z.describe(
        "Where the IdP publishes its signing keys (default: the discovery document's jwks_uri, read at the first sign-in's verification)",
      ),
    ),
  algorithms: z
    ._default(
      z
        .array(z.enum(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']))
        .check(z.minLength(1)),
      ['RS256'],
    )
    .check(z.describe('Signature algorithms accepted (asymmetric only; never none or HS*)')),
  throttle: z
    ._default(
      z.strictObject({
        rate: z.number().check(z.int(), z.gte(1), z.lte(10_000), z.describe('Steady requests per second')),
        burst: z.number().check(z.int(), z.gte(1), z.lte(5_000), z.describe('Requests at once above the steady rate')),
      }),
      { rate: 20, burst: 40 },
    )
    .check(
      z.describe(
        "What the console's API takes from all open pages together (API Gateway's stage throttle: a request over it gets 429, and the page asks again at its next poll); an open run page asks about every 2 s",
      ),
    ),
});
export type ConsoleConfig = z.infer<typeof ConsoleConfigSchema>;

/**
 * Where the control plane itself is deployed. Required once a deploy target names another
 * account: the target stacks trust the control plane's step roles by ARN, so the stacks are
 * pinned to this account and region (synthesis needs no lookups).
 */
export const ControlPlaneConfigSchema = z.strictObject({
  account: AccountId.check(z.describe("The control plane's AWS account")),
  region: Region.check(z.describe("The control plane's region")),
});
export type ControlPlaneConfig = z.infer<typeof ControlPlaneConfigSchema>;

/** The operator API, beyond what the stack makes of it. */
export const OperatorApiConfigSchema = z.strictObject({
  urls: z
    ._default(z.array(HttpsUrl), [])
    .check(
      z.describe(
        'Other base URLs callers reach the operator API by (a custom domain mapped to its stage, e.g. https://gantry.example.com/ops/): caller proofs signed for these are accepted besides its execute-api URL, and for no other',
      ),
    ),
});
export type OperatorApiConfig = z.infer<typeof OperatorApiConfigSchema>;

/** The shape of `gantry.config.yaml`, each part checked on its own (see `checkReferences` for the rest). */
export const GantryConfigShapeSchema = z.strictObject({
  controlPlane: z
    .optional(ControlPlaneConfigSchema)
    .check(z.describe("The control plane's account and region (required when a deploy target names an account)")),
  connections: z.array(ConnectionConfigSchema).check(z.minLength(1, 'declare at least one connection')),
  pipelines: z._default(z.array(PipelineConfigSchema), []),
  approvers: z._default(ApproversSchema, { groups: {}, identities: {}, identityCenterRoles: [] }),
  audit: z._default(AuditConfigSchema, {
    retentionDays: { change: 2557, delivery: 400 },
    checkpointMinutes: 60,
    checkpointLockDays: 2557,
    checkpointLockMode: 'compliance',
  }),
  notifications: z
    .optional(NotificationsConfigSchema)
    .check(
      z.describe(
        'Messages about runs (succeeded, failed, waiting for approval, rolled back) to Slack, Microsoft Teams or e-mail',
      ),
    ),
  console: z
    .optional(ConsoleConfigSchema)
    .check(
      z.describe(
        'The web console in AWS, behind an OIDC sign-in (absent: no console is deployed; local mode always has one)',
      ),
    ),
  operatorApi: z
    .optional(OperatorApiConfigSchema)
    .check(z.describe('The operator API: the other URLs (custom domains) callers reach it by')),
});

/** `gantry.config.yaml`: what the CDK app and local mode both build from. */
export const GantryConfigSchema = GantryConfigShapeSchema.check(z.superRefine(checkReferences));
export type GantryConfig = z.infer<typeof GantryConfigSchema>;

/**
 * What no part can check alone: names unique, references resolved (connections, groups,
 * identities), one environment per deployment group and per branch (see `checkBranchClaims`).
 * Runs on a whole config, or on the parts of a broken one that parsed (`validateGantryConfig`).
 */
export function checkReferences(config: GantryConfig, ctx: z.core.$RefinementCtx): void {
  uniqueNames(config.connections, ['connections'], ctx);
  uniqueNames(config.pipelines, ['pipelines'], ctx);
  checkDerivedNames(config, ctx);
  checkOneConnectionPerRepository(config, ctx);
  config.pipelines.forEach((pipeline, i) => {
    checkSource(config, pipeline, i, ctx);
    uniqueNames(pipeline.environments, ['pipelines', i, 'environments'], ctx);
    checkTargets(config, pipeline, i, ctx);
    checkAccounts(config, pipeline, i, ctx);
    checkGatedSecrets(config, pipeline, i, ctx);
    const known = (groups: readonly string[], path: (string | number)[]) => {
      groups.forEach((group, g) => {
        if (!(group in config.approvers.groups)) {
          ctx.addIssue({
            code: 'custom',
            path: [...path, g],
            message: `no group named "${group}" (declare it under approvers.groups)`,
          });
        }
      });
    };
    known(pipeline.operators, ['pipelines', i, 'operators']);
    pipeline.environments.forEach((env, e) => {
      known(env.approval.approverGroups, ['pipelines', i, 'environments', e, 'approval', 'approverGroups']);
      known(env.operators ?? [], ['pipelines', i, 'environments', e, 'operators']);
    });
  });
  checkPrincipals(config.approvers, ctx);
  for (const [group, members] of Object.entries(config.approvers.groups)) {
    members.forEach((member, m) => {
      if (!(member in config.approvers.identities)) {
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', 'groups', group, m],
          message: `no identity named "${member}" under approvers.identities`,
        });
      }
    });
  }
  checkBranchClaims(config.pipelines, ctx);
  checkNotifications(config, ctx);
  checkConsole(config, ctx);
}

/**
 * Gated secrets reach only builds of refs that deploy to an environment needing approval: with no
 * such environment no build would see them, and a name also under `secrets` would be injected
 * into every trusted build anyway.
 */
function checkGatedSecrets(
  config: GantryConfig,
  pipeline: GantryConfig['pipelines'][number],
  i: number,
  ctx: z.core.$RefinementCtx,
): void {
  const path = ['pipelines', i, 'build', 'gatedSecrets'];
  const names = Object.keys(pipeline.build.gatedSecrets);
  if (names.length === 0) return;
  if (!pipeline.environments.some((env) => env.approval.required))
    ctx.addIssue({
      code: 'custom',
      path,
      message: `no environment of pipeline ${pipeline.name} requires approval, so no build is gated and none would receive these (require approval somewhere, or use build.secrets)`,
    });
  for (const name of names.filter((n) => n in pipeline.build.secrets))
    ctx.addIssue({
      code: 'custom',
      path: [...path, name],
      message: `${name} is also under build.secrets, which injects it into every trusted build: name it in one place`,
    });
  // A project's role may read each secret it names whole, whichever JSON key its variable takes:
  // a secret under build.secrets of any pipeline would let its ungated builds read the gated keys.
  const ungatedReaders = new Map<string, string>();
  for (const p of config.pipelines)
    for (const value of Object.values(p.build.secrets)) ungatedReaders.set(secretIdOf(value), p.name);
  for (const [name, value] of Object.entries(pipeline.build.gatedSecrets)) {
    const reader = ungatedReaders.get(secretIdOf(value));
    if (reader !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: [...path, name],
        message: `secret ${secretIdOf(value)} is also read under build.secrets${reader === pipeline.name ? '' : ` of pipeline ${reader}`}, and a build's role reads a secret whole (every JSON key): its ungated builds could read ${name}; keep gated keys in a secret of their own`,
      });
  }
}

/** The Secrets Manager secret a build variable reads (`name[:json-key]`): its name. */
export function secretIdOf(value: string): string {
  return value.split(':', 1)[0] ?? value;
}

/** A console claim value is one person's; `oidc` values mean nothing without a console to sign in to. */
function checkConsole(config: GantryConfig, ctx: z.core.$RefinementCtx): void {
  const owners = new Map<string, string>();
  for (const [name, identity] of Object.entries(config.approvers.identities)) {
    const path = ['approvers', 'identities', name, 'oidc'];
    if ((identity.oidc ?? []).length > 0 && config.console === undefined)
      ctx.addIssue({ code: 'custom', path, message: 'oidc values name people of the console: add a console: block' });
    for (const value of identity.oidc ?? []) {
      const other = owners.get(value);
      if (other !== undefined)
        ctx.addIssue({ code: 'custom', path, message: `${value} is also ${other}'s: a console sign-in is one person` });
      owners.set(value, name);
    }
  }
}

/** Targets named once, filters naming pipelines and environments that exist, a Slack user one person's. */
function checkNotifications(config: GantryConfig, ctx: z.core.$RefinementCtx): void {
  const targets = config.notifications?.targets ?? [];
  uniqueNames(targets, ['notifications', 'targets'], ctx);
  const pipelines = new Set(config.pipelines.map((p) => p.name));
  const environments = new Set(config.pipelines.flatMap((p) => p.environments.map((e) => e.name)));
  targets.forEach((target, t) => {
    target.pipelines?.forEach((name, i) => {
      if (!pipelines.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['notifications', 'targets', t, 'pipelines', i],
          message: `no pipeline named "${name}"`,
        });
    });
    target.environments?.forEach((name, i) => {
      if (!environments.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['notifications', 'targets', t, 'environments', i],
          message: `no pipeline has an environment named "${name}"`,
        });
    });
  });
  const owners = new Map<string, string>();
  for (const [name, identity] of Object.entries(config.approvers.identities)) {
    for (const user of identity.slack ?? []) {
      const other = owners.get(user);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', 'identities', name, 'slack'],
          message: `Slack user ${user} is also ${other}'s: a Slack user is one person`,
        });
      owners.set(user, name);
    }
  }
}

/**
 * A role listed as someone's principal makes every session of it that person, so it must be one
 * person's; and an identity with no way to be recognised in AWS can approve nothing.
 */
function checkPrincipals(approvers: GantryConfig['approvers'], ctx: z.core.$RefinementCtx): void {
  const owners = new Map<string, string>();
  for (const [name, identity] of Object.entries(approvers.identities)) {
    for (const principal of identity.principals) {
      if (/:role\/(.*\/)?AWSReservedSSO_/i.test(principal)) {
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', 'identities', name, 'principals'],
          message: `${principal} is an IAM Identity Center permission-set role: every user of the permission set would act as ${name}; list it under approvers.identityCenterRoles and give ${name} identityCenter: [<user name>]`,
        });
      }
      // The same role under another path or spelling is the same principal: IAM names are unique per account, case-insensitively.
      const role = /^arn:[^:]+:iam::(\d{12}):(user|role)\/(?:.*\/)?([^/]+)$/.exec(principal);
      const owned = role ? `${role[1]}:${role[2]}/${role[3]?.toLowerCase()}` : principal;
      const other = owners.get(owned);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', 'identities', name, 'principals'],
          message: `${principal} is also ${other}'s: a principal is one person's (give each person a role, or use identityCenter)`,
        });
      }
      owners.set(owned, name);
    }
    for (const user of identity.identityCenter) {
      const other = owners.get(`identity-center:${user.toLowerCase()}`);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['approvers', 'identities', name, 'identityCenter'],
          message: `Identity Center user ${user} is also ${other}'s: a user is one person`,
        });
      }
      owners.set(`identity-center:${user.toLowerCase()}`, name);
    }
    if (identity.identityCenter.length > 0 && approvers.identityCenterRoles.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers', 'identities', name, 'identityCenter'],
        message: 'list the permission-set roles whose sessions identify people under approvers.identityCenterRoles',
      });
    }
  }
}

/**
 * What the config allows but will refuse at decision time: an approver of an environment under
 * separation of duties whom Gantry cannot recognise at the pipeline's provider (no username
 * there, or no commit e-mail) can never approve there. Said at synth, so nobody learns it at 2 am.
 */
export function configWarnings(config: GantryConfig): string[] {
  const warnings: string[] = [];
  for (const pipeline of config.pipelines) {
    for (const env of pipeline.environments) {
      if (!env.approval.required || !env.approval.separationOfDuties) continue;
      const members = new Set(env.approval.approverGroups.flatMap((g) => config.approvers.groups[g] ?? []));
      for (const name of members) {
        const person = config.approvers.identities[name];
        const missing = [
          person?.git[pipeline.source.provider] ? null : `git.${pipeline.source.provider}`,
          person?.emails.length ? null : 'emails',
        ].filter((m) => m !== null);
        if (missing.length > 0)
          warnings.push(
            `pipeline ${pipeline.name}, environment ${env.name}: approver ${name} has no ${missing.join(' and no ')}, so separation of duties will refuse every decision of theirs (set approvers.identities.${name}.${missing.join(' and .')})`,
          );
      }
    }
  }
  const claim = config.console?.claim;
  if (claim !== undefined && MUTABLE_CLAIMS.includes(claim))
    warnings.push(
      `console.claim is ${claim}, which people or administrators can change at the identity provider: whoever is renamed to a listed value signs in as that person. Prefer an immutable id (sub; Entra ID: oid)`,
    );
  return warnings;
}

/** ID token claims that a user or an IdP administrator can change after the account exists. */
const MUTABLE_CLAIMS = ['preferred_username', 'upn', 'email', 'cognito:username', 'name', 'nickname', 'unique_name'];

function checkSource(
  config: { connections: ConnectionConfig[] },
  pipeline: PipelineConfig,
  i: number,
  ctx: z.core.$RefinementCtx,
): void {
  const connection = config.connections.find((c) => c.name === pipeline.source.connection);
  if (connection === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['pipelines', i, 'source', 'connection'],
      message: `no connection named "${pipeline.source.connection}" (known: ${config.connections.map((c) => c.name).join(', ')})`,
    });
  } else if (connection.provider !== pipeline.source.provider) {
    ctx.addIssue({
      code: 'custom',
      path: ['pipelines', i, 'source', 'provider'],
      message: `is ${pipeline.source.provider} but connection "${connection.name}" is ${connection.provider}`,
    });
  }
}

/**
 * A repository comes through one connection of its provider. Two (github.com and a GitHub
 * Enterprise Server, say) would share it: the receiver verifies its deliveries with one
 * connection's secret only, and pipelines match events by provider and repository, so whoever
 * holds that secret (or pushes on that instance) would start the other connection's pipelines.
 * Names compare as the receiver compares them: case-insensitively.
 */
function checkOneConnectionPerRepository(
  config: { connections: ConnectionConfig[]; pipelines: PipelineConfig[] },
  ctx: z.core.$RefinementCtx,
): void {
  const first = new Map<string, PipelineConfig>();
  config.pipelines.forEach((pipeline, i) => {
    const { provider, repository, connection } = pipeline.source;
    // A connection that does not exist is its own problem (checkSource), not a second one here.
    if (!config.connections.some((c) => c.name === connection)) return;
    const key = `${provider}#${repository.toLowerCase()}`;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, pipeline);
    else if (earlier.source.connection !== connection)
      ctx.addIssue({
        code: 'custom',
        path: ['pipelines', i, 'source', 'connection'],
        message: `${provider} repository ${repository} already comes through connection "${earlier.source.connection}" (pipeline ${earlier.name}): a repository comes through one connection only, or deliveries verified by one connection's secret would start the other's pipelines`,
      });
  });
}

/** One environment per deployment group, and sample targets only for Lambda. */
function checkTargets(
  config: { pipelines: PipelineConfig[] },
  pipeline: PipelineConfig,
  i: number,
  ctx: z.core.$RefinementCtx,
) {
  pipeline.environments.forEach((env, e) => {
    const deploy = env.deploy;
    if (deploy === undefined) return;
    const key = `${deploy.application}/${deploy.deploymentGroup}`;
    const clash = config.pipelines.flatMap((p) =>
      p.environments
        .filter((o) => o !== env && o.deploy && `${o.deploy.application}/${o.deploy.deploymentGroup}` === key)
        .map((o) => `${p.name}/${o.name}`),
    );
    if (clash.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['pipelines', i, 'environments', e, 'deploy', 'deploymentGroup'],
        message: `deployment group ${key} is also the target of ${clash.join(', ')}`,
      });
    }
  });
}

/** Whether an environment is production: as it says, else by its name. */
export function isProduction(env: { readonly name: string; readonly production?: boolean | undefined }): boolean {
  return env.production ?? ['prod', 'production'].includes(env.name);
}

/**
 * A target in another account needs the control plane's account (its stack trusts roles there);
 * `requireSeparateAccount` keeps every production target out of the control plane's account.
 */
function checkAccounts(
  config: Pick<GantryConfig, 'controlPlane'>,
  pipeline: PipelineConfig,
  i: number,
  ctx: z.core.$RefinementCtx,
): void {
  const home = config.controlPlane?.account;
  pipeline.environments.forEach((env, e) => {
    const path = ['pipelines', i, 'environments', e, 'deploy', 'account'];
    const account = env.deploy?.account;
    if (account !== undefined && home === undefined)
      ctx.addIssue({
        code: 'custom',
        path,
        message:
          "a target in another account needs the control plane's: add controlPlane: { account: '<12 digits>', region: <region> }",
      });
    const region = env.deploy?.region;
    if (region !== undefined && region !== (config.controlPlane?.region ?? region))
      ctx.addIssue({
        code: 'custom',
        path: ['pipelines', i, 'environments', e, 'deploy', 'region'],
        message: `the artifacts bucket is in the control plane's region (${config.controlPlane?.region}) and Lambda reads code only from its own region: deploy from a control plane in ${region}`,
      });
    if (region !== undefined && config.controlPlane === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['pipelines', i, 'environments', e, 'deploy', 'region'],
        message:
          "a target's region is checked against the control plane's: add controlPlane: { account: '<12 digits>', region: <region> }",
      });
    if (!pipeline.requireSeparateAccount || env.deploy === undefined || !isProduction(env)) return;
    if (account === undefined || account === home)
      ctx.addIssue({
        code: 'custom',
        path: account === undefined ? ['pipelines', i, 'environments', e, 'deploy'] : path,
        message: `${env.name} is a production environment and pipeline ${pipeline.name} sets requireSeparateAccount: set deploy.account to the production account's id${home ? ` (not the control plane's, ${home})` : ''}`,
      });
  });
}

/** The account a target lives in: its own, else the control plane's (`undefined` when neither is named). */
export function targetAccount(config: Pick<GantryConfig, 'controlPlane'>, deploy: DeployConfig): string | undefined {
  return deploy.account ?? config.controlPlane?.account;
}

/** Accounts other than the control plane's that some deploy target lives in, each once, in config order. */
export function foreignAccounts(config: GantryConfig): string[] {
  const home = config.controlPlane?.account;
  const accounts = config.pipelines.flatMap((p) =>
    p.environments.flatMap((e) => (e.deploy?.account && e.deploy.account !== home ? [e.deploy.account] : [])),
  );
  return [...new Set(accounts)];
}

/**
 * Gantry names some resources after a pipeline and a suffix (`shared/config/names.ts`), so two
 * pipelines could derive one name: pipeline `a-gated`'s trusted build project would be pipeline
 * `a`'s gated one, a custom traffic shift of `a`'s `b-prod` the one of `a-b`'s `prod`, and the
 * failed-run alarm of `a`'s `prod` that of a pipeline `a-prod`.
 */
function checkDerivedNames(config: GantryConfig, ctx: z.core.$RefinementCtx): void {
  const owners = new Map<string, { pipeline: number; what: string }>();
  config.pipelines.forEach((pipeline, i) => {
    const derived: [kind: string, name: string, what: string][] = BUILD_CLASSES.map((cls) => [
      'CodeBuild project',
      buildProjectName(pipeline.name, cls),
      `${cls} build project`,
    ]);
    derived.push(['CloudWatch alarm', `gantry-${failedRunsAlarm(pipeline.name)}`, 'failed-run alarm']);
    for (const environment of pipeline.environments)
      derived.push([
        'CloudWatch alarm',
        `gantry-${failedRunsAlarm(pipeline.name, environment.name)}`,
        `environment ${environment.name}'s failed-run alarm`,
      ]);
    for (const environment of pipeline.environments)
      if (environment.deploy !== undefined && typeof environment.deploy.strategy !== 'string')
        derived.push([
          'CodeDeploy configuration',
          customConfigName(pipeline.name, environment.name),
          `environment ${environment.name}'s traffic shift`,
        ]);
    for (const [kind, name, what] of derived) {
      const owner = owners.get(`${kind} ${name}`);
      const other = owner === undefined ? undefined : config.pipelines[owner.pipeline]?.name;
      if (owner === undefined) owners.set(`${kind} ${name}`, { pipeline: i, what });
      // The same name twice is reported as a duplicate name.
      else if (other !== pipeline.name)
        ctx.addIssue({
          code: 'custom',
          path: ['pipelines', i, 'name'],
          message: `pipeline "${pipeline.name}" would name its ${what} ${kind} ${name}, the name of pipeline "${other}"'s ${owner.what}: rename one of the two pipelines`,
        });
    }
  });
}

function uniqueNames(items: readonly { name: string }[], path: (string | number)[], ctx: z.core.$RefinementCtx): void {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.name))
      ctx.addIssue({ code: 'custom', path: [...path, i, 'name'], message: `duplicate name "${item.name}"` });
    seen.add(item.name);
  });
}

/** The Secrets Manager name of a connection's secret. */
export function connectionSecretName(connection: Pick<ConnectionConfig, 'name' | 'secretName'>): string {
  return connection.secretName ?? `gantry/connections/${connection.name}`;
}

/** The REST API a connection reports commit statuses to. */
export function connectionApiUrl(connection: ConnectionConfig): string {
  return apiUrlFor(connection.provider, connection.apiUrl);
}

export { IDENTITY_NAME };
