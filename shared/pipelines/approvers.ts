import { z } from 'zod';
import { ProviderSchema } from '../../events';

/** Identity names: how config, approvals and the audit trail name a person. */
export const IDENTITY_NAME = /^[a-z][a-z0-9._-]{0,63}$/;
const IdentityName = z.string().regex(IDENTITY_NAME, 'identity names are lower case letters, digits, . _ - (max 64)');
const GroupName = z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'group names are lower case letters, digits and -');

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

/** A person: the AWS principals that act as them, and who they are at each Git provider. */
export const IdentitySchema = z.strictObject({
  principals: z
    .array(z.string().regex(/^arn:aws[a-z-]*:(iam|sts)::\d{12}:.+$/, 'an IAM user, role or assumed-role ARN'))
    .default([])
    .describe('IAM ARNs (user, role or assumed-role session) that are this person'),
  git: z
    .partialRecord(ProviderSchema, z.string().min(1))
    .default({})
    .describe('Username per provider, for separation of duties'),
  emails: z.array(z.string().min(3)).default([]).describe('Commit author emails that are this person'),
});
export type Identity = z.infer<typeof IdentitySchema>;

export const ApproversSchema = z.strictObject({
  groups: z.record(GroupName, z.array(IdentityName)).default({}),
  identities: z.record(IdentityName, IdentitySchema).default({}),
});
export type Approvers = z.infer<typeof ApproversSchema>;
