import { z } from 'zod';
import { ProviderSchema } from '../../events';

/** Identity names: how config, approvals and the audit trail name a person. */
export const IDENTITY_NAME = /^[a-z][a-z0-9._-]{0,63}$/;
const IdentityName = z.string().regex(IDENTITY_NAME, 'identity names are lower case letters, digits, . _ - (max 64)');
export const GroupName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'group names are lower case letters, digits and -');

/** Who may approve a deployment to an environment, and how. */
export const ApprovalPolicySchema = z.strictObject({
  required: z.boolean().default(false),
  approverGroups: z.array(GroupName).default([]).describe('Members of any of these groups may decide'),
  minApprovals: z.number().int().min(1).max(10).default(1),
  timeoutMinutes: z
    .number()
    .int()
    .min(1)
    .max(525_600)
    .default(1440)
    .describe('Decisions are accepted until then; after it the run fails as expired'),
  separationOfDuties: z
    .boolean()
    .default(true)
    .describe("An approver may be neither the commit's author nor the change's pusher"),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicySchema>;

/** An IAM user or role ARN: what config may name a person by (never a session a caller names). */
export const PRINCIPAL_ARN = /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/[\w+=,.@/-]+$/;

/** A person: the AWS principals that act as them, and who they are at each Git provider. */
export const IdentitySchema = z.strictObject({
  principals: z
    .array(
      z
        .string()
        .regex(
          PRINCIPAL_ARN,
          'an IAM user or role ARN (arn:aws:iam::<account>:user/<name> or :role/<name>); never an assumed-role session, whose name the caller chooses: use identityCenter for IAM Identity Center users',
        ),
    )
    .default([])
    .describe(
      'IAM users that are this person, or roles only this person can assume (any session of the role acts as them)',
    ),
  identityCenter: z
    .array(z.string().min(1))
    .default([])
    .describe(
      'IAM Identity Center user names: a session of one of approvers.identityCenterRoles with this name (set by Identity Center, not the caller) acts as this person',
    ),
  git: z
    .partialRecord(ProviderSchema, z.string().min(1))
    .default({})
    .describe('Username per provider, for separation of duties'),
  emails: z.array(z.string().min(3)).default([]).describe('Commit author emails that are this person'),
});
export type Identity = z.infer<typeof IdentitySchema>;

/** An IAM Identity Center permission-set role: only Identity Center can assume it, and it names the session. */
export const IDENTITY_CENTER_ROLE =
  /^arn:aws[a-z-]*:iam::\d{12}:role\/aws-reserved\/sso\.amazonaws\.com\/([a-z0-9-]+\/)?AWSReservedSSO_[\w+=,.@-]+$/;

export const ApproversSchema = z.strictObject({
  groups: z.record(GroupName, z.array(IdentityName)).default({}),
  identities: z.record(IdentityName, IdentitySchema).default({}),
  identityCenterRoles: z
    .array(
      z
        .string()
        .regex(
          IDENTITY_CENTER_ROLE,
          'an IAM Identity Center permission-set role ARN (arn:aws:iam::<account>:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_<set>_<id>)',
        ),
    )
    .default([])
    .describe('Permission-set roles whose sessions are matched to identities by their Identity Center user name'),
});
export type Approvers = z.infer<typeof ApproversSchema>;
