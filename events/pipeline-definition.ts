import * as z from 'zod/mini';
import { ProviderSchema } from './source-event';

const Limit = z.number().check(z.int('must be a whole number'), z.gte(0, 'must be 0 or more'));

/**
 * The quality and security gates of a pipeline: what the EvaluateGates step checks and what
 * `gantry gates evaluate --config` reads. Every gate is optional; an absent gate is not checked,
 * and a gate that needs a report fails when that report is missing. The pipeline config reuses
 * this schema, so it is strict: a misspelt gate is an error, not a gate silently left off.
 */
export const GatesSchema = z.strictObject({
  /** Every test must pass, and at least one must have run. */
  requireTestsPassed: z.optional(z.boolean()),
  /** The least line coverage accepted, in percent (0–100). */
  minLineCoverage: z.optional(z.number().check(z.gte(0), z.lte(100))),
  /** The most findings accepted at each SARIF level; a level left out is not limited. */
  maxFindings: z.optional(
    z.strictObject({ error: z.optional(Limit), warning: z.optional(Limit), note: z.optional(Limit) }),
  ),
  /** The most findings accepted per `security-severity` bucket (critical ≥ 9.0, high ≥ 7.0). */
  maxSecurity: z.optional(z.strictObject({ critical: z.optional(Limit), high: z.optional(Limit) })),
});

/** The gates of one pipeline, as validated by `GatesSchema`. */
export type Gates = z.infer<typeof GatesSchema>;

export const TrafficShiftSchema = z.object({
  type: z.enum(['AllAtOnce', 'TimeBasedCanary', 'TimeBasedLinear']),
  percent: z.number().check(z.int(), z.gte(1), z.lte(100)),
  minutes: z.number().check(z.int(), z.gte(0)),
});
export type TrafficShift = z.infer<typeof TrafficShiftSchema>;

/** What Deploy does with a Lambda version whose configuration differs from the live version's. */
export const CONFIGURATION_CHANGE_POLICIES = ['refuse', 'record'] as const;

/**
 * Where and how one environment is released, as the Deploy step reads it from the plan: the
 * CodeDeploy application and group, the compute target, the traffic shift, the bake time and the
 * hooks, all resolved from config when the app is synthesized.
 */
export const DeployTargetSchema = z.object({
  kind: z.enum(['lambda', 'ecs']),
  /** The account the target lives in when it is not the control plane's: every call there is made as its deploy role. */
  account: z._default(z.nullable(z.string().check(z.regex(/^\d{12}$/))), null),
  application: z.string(),
  deploymentGroup: z.string(),
  /** The CodeDeploy deployment configuration name (predefined, or Gantry's custom one). */
  deploymentConfig: z.string(),
  /** As the config names it: `Canary10Percent5Minutes`, `custom canary 20% / 3 min`… */
  strategy: z.string(),
  shift: TrafficShiftSchema,
  bakeSeconds: z.number().check(z.int(), z.gte(0)),
  timeoutSeconds: z.number().check(z.int(), z.gte(60)),
  // CDK drops nulls from the definition it embeds: a missing kind reads as null.
  lambda: z._default(
    z.nullable(
      z.object({
        function: z.string(),
        alias: z.string(),
        artifact: z.string(),
        /**
         * A release whose published version runs another configuration (layers, handler, runtime,
         * environment) than the live version: `refuse`d unless a retry accepted exactly it, or
         * only `record`ed. Plans written before it existed refuse.
         */
        configurationChanges: z._default(z.enum(CONFIGURATION_CHANGE_POLICIES), 'refuse'),
      }),
    ),
    null,
  ),
  ecs: z._default(
    z.nullable(
      z.object({
        cluster: z.string(),
        service: z.string(),
        container: z.string(),
        port: z.number().check(z.int()),
        /** The build artifact holding the task definition ARN the build registered. */
        taskDefinitionArtifact: z.string(),
        /** The only task definition family Deploy accepts from that artifact. */
        family: z.string(),
      }),
    ),
    null,
  ),
  hooks: z.object({
    beforeAllowTraffic: z._default(z.nullable(z.string()), null),
    afterAllowTraffic: z._default(z.nullable(z.string()), null),
  }),
});
export type DeployTarget = z.infer<typeof DeployTargetSchema>;

/** Identity names: how config, approvals and the audit trail name a person. */
export const IDENTITY_NAME = /^[a-z][a-z0-9._-]{0,63}$/;
const IdentityName = z
  .string()
  .check(z.regex(IDENTITY_NAME, 'identity names are lower case letters, digits, . _ - (max 64)'));
export const GroupName = z
  .string()
  .check(z.regex(/^[a-z][a-z0-9-]{0,39}$/, 'group names are lower case letters, digits and -'));

/** Who may approve a deployment to an environment, and how. */
export const ApprovalPolicySchema = z.strictObject({
  required: z._default(z.boolean(), false),
  approverGroups: z._default(z.array(GroupName), []).check(z.describe('Members of any of these groups may decide')),
  minApprovals: z._default(z.number().check(z.int(), z.gte(1), z.lte(10)), 1),
  timeoutMinutes: z
    ._default(z.number().check(z.int(), z.gte(1), z.lte(525_600)), 1440)
    .check(z.describe('Decisions are accepted until then; after it the run fails as expired')),
  separationOfDuties: z
    ._default(z.boolean(), true)
    .check(z.describe("An approver may be neither the commit's author nor the change's pusher")),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** An IAM user or role ARN: what config may name a person by (never a session a caller names). */
export const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;

/** A Slack user as Slack's signed requests name them: `<team id>/<user id>`. */
export const SLACK_USER = /^T[A-Z0-9]{2,20}\/[UW][A-Z0-9]{2,20}$/;

/** A person: the AWS principals that act as them, and who they are at each Git provider. */
export const IdentitySchema = z.strictObject({
  principals: z
    ._default(
      z.array(
        z
          .string()
          .check(
            z.regex(
              PRINCIPAL_ARN,
              'an IAM user or role ARN (arn:aws:iam::<account>:user/<name> or :role/<name>); never an assumed-role session, whose name the caller chooses: use identityCenter for IAM Identity Center users',
            ),
          ),
      ),
      [],
    )
    .check(
      z.describe(
        'IAM users that are this person, or roles only this person can assume (any session of the role acts as them)',
      ),
    ),
  identityCenter: z
    ._default(z.array(z.string().check(z.minLength(1))), [])
    .check(
      z.describe(
        'IAM Identity Center user names: a session of one of approvers.identityCenterRoles with this name (set by Identity Center, not the caller) acts as this person',
      ),
    ),
  git: z
    ._default(z.partialRecord(ProviderSchema, z.string().check(z.minLength(1))), {})
    .check(z.describe('Username per provider, for separation of duties')),
  gitIds: z
    .optional(z.partialRecord(ProviderSchema, z.string().check(z.minLength(1))))
    .check(
      z.describe(
        "Account id per provider (GitHub's numeric user id, GitLab's, Gitea's or Bitbucket Data Center's; Bitbucket Cloud's {uuid}; Azure DevOps' identity id), for separation of duties: unlike the username, its owner cannot change it",
      ),
    ),
  emails: z
    ._default(z.array(z.string().check(z.minLength(3))), [])
    .check(z.describe('Commit author emails that are this person')),
  slack: z
    .optional(z.array(z.string().check(z.regex(SLACK_USER, 'a Slack team id and user id: T0123ABCD/U0456EFGH'))))
    .check(z.describe('Slack users (team id/user id) that are this person: they may approve from Slack')),
  oidc: z
    .optional(z.array(z.string().check(z.minLength(1), z.maxLength(256))))
    .check(
      z.describe(
        "Values of the web console's identity claim (console.claim: a subject id, or an e-mail the IdP verified) that are this person: they act through the console in AWS",
      ),
    ),
});
export type Identity = z.infer<typeof IdentitySchema>;

/** An IAM Identity Center permission-set role: only Identity Center can assume it, and it names the session. */
export const IDENTITY_CENTER_ROLE =
  /^arn:aws[a-z-]*:iam::\d{12}:role\/aws-reserved\/sso\.amazonaws\.com\/([a-z0-9-]+\/)?AWSReservedSSO_[\w+=,.@-]+$/;

export const ApproversSchema = z.strictObject({
  groups: z._default(z.record(GroupName, z.array(IdentityName)), {}),
  identities: z._default(z.record(IdentityName, IdentitySchema), {}),
  identityCenterRoles: z
    ._default(
      z.array(
        z
          .string()
          .check(
            z.regex(
              IDENTITY_CENTER_ROLE,
              'an IAM Identity Center permission-set role ARN (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<set>_<id>)',
            ),
          ),
      ),
      [],
    )
    .check(
      z.describe('Permission-set roles whose sessions are matched to identities by their Identity Center user name'),
    ),
});
export type Approvers = z.infer<typeof ApproversSchema>;

/** An approver as a run record keeps it: resolved from config when the run is planned. */
export const EligibleApproverSchema = z.extend(IdentitySchema, { identity: z.string() });
export type EligibleApprover = z.infer<typeof EligibleApproverSchema>;

/**
 * The trust a build runs with. Release (trusted) builds and untrusted builds (pull requests)
 * write under disjoint prefixes of the artifacts bucket, so one role's grant can never reach the
 * other's objects (see `shared/pipelines/artifact-layout.ts`).
 */
export const BUILD_TRUSTS = ['trusted', 'untrusted'] as const;
export type BuildTrust = (typeof BUILD_TRUSTS)[number];

/**
 * What one pipeline's state machine tells ResolvePlan about the pipeline: the config, resolved
 * and embedded in the definition by CDK, so one function serves every pipeline and no
 * environment variable limits how much config there can be.
 */
export const PipelineDefinitionSchema = z.object({
  name: z.string(),
  source: z.object({ provider: ProviderSchema, repository: z.string(), connection: z.string() }),
  triggers: z.object({
    push: z.optional(z.object({ branches: z.array(z.string()), exclude: z._default(z.array(z.string()), []) })),
    tags: z.optional(z.object({ include: z.array(z.string()), exclude: z._default(z.array(z.string()), []) })),
    pullRequests: z.optional(
      z.object({
        targetBranches: z.array(z.string()),
        exclude: z._default(z.array(z.string()), []),
        forks: z._default(z.enum(['skip', 'build']), 'skip'),
      }),
    ),
  }),
  build: z.object({
    /** The trusted project: builds of refs a push or tag trigger names that deploy to no environment needing approval; holds `build.secrets`. */
    projectName: z.string(),
    /** The gated project: builds of refs that deploy to an environment needing approval; holds `build.secrets` and `build.gatedSecrets`; its role alone writes where they write. */
    gatedProjectName: z.string(),
    /** The untrusted project: pull requests; no secrets, no access to release artifacts. */
    untrustedProjectName: z.string(),
    env: z._default(z.record(z.string(), z.string()), {}),
  }),
  gates: GatesSchema,
  environments: z.array(
    z.object({
      name: z.string(),
      branches: z.array(z.string()),
      approval: ApprovalPolicySchema,
      approvers: z._default(z.array(EligibleApproverSchema), []),
      /** Who may cancel, roll back or retry this environment's runs (besides the pipeline's operators). */
      operators: z._default(z.array(EligibleApproverSchema), []),
      deploy: z._default(z.nullable(DeployTargetSchema), null),
    }),
  ),
  /** Who may cancel, roll back or retry any run of this pipeline. */
  operators: z._default(z.array(EligibleApproverSchema), []),
  /** IAM Identity Center permission-set roles whose sessions name the person (see shared/pipelines/principals.ts). */
  identityCenterRoles: z._default(z.array(z.string()), []),
  concurrency: z.enum(['queued', 'superseded']),
  /** Where commit statuses go: the connection (its API URL comes from the function's environment) and its secret. */
  status: z.object({ connection: z.string(), secretId: z.string() }),
});
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;
