import { arnAccount } from '../arn';
import {
  type AccessRequest,
  namesPrincipal,
  principalMatches,
  type SourcedStatement,
  statementMatches,
} from './evaluate';
import type { RolePolicies } from './policies';

/** A role's MaxSessionDuration when its template sets none (IAM's default). */
const DEFAULT_MAX_SESSION_SECONDS = 3600;

/** What STS AssumeRole is asked: which role, the session's name and its tags. */
export interface AssumeRoleRequest {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
  /** How long the session is asked for; STS refuses more than the role's MaxSessionDuration. */
  readonly durationSeconds?: number;
}

/** Who asks: the principal ARN AWS evaluates (a role session's is its role's ARN), its account and its identity policies. */
export interface AssumingCaller {
  readonly arn: string;
  readonly account: string;
  readonly identity: readonly SourcedStatement[];
}

/**
 * Why AWS would refuse `caller` the role, or undefined when it may assume it. The role's trust
 * policy must allow `sts:AssumeRole` (and `sts:TagSession` when tags are asked for) in the
 * request's context (`aws:PrincipalArn`, `aws:PrincipalAccount`, `sts:RoleSessionName`,
 * `aws:RequestTag/…`, `aws:TagKeys`). A trust policy that names the caller itself suffices in the
 * role's own account; one that trusts the caller's account, or a role in another account,
 * also needs the caller's identity policies to allow the action on the role. An explicit Deny in
 * the caller's identity policies refuses in every case.
 */
export function assumeRoleRefusal(
  role: Pick<RolePolicies, 'roleArn' | 'trust' | 'maxSessionDuration'> | undefined,
  caller: AssumingCaller,
  request: AssumeRoleRequest,
): string | undefined {
  if (role === undefined) return `no role ${request.roleArn} exists in local mode`;
  const max = role.maxSessionDuration ?? DEFAULT_MAX_SESSION_SECONDS;
  if ((request.durationSeconds ?? DEFAULT_MAX_SESSION_SECONDS) > max)
    return `because DurationSeconds ${request.durationSeconds} exceeds the role's MaxSessionDuration of ${max} seconds`;
  const context: Record<string, string | readonly string[]> = {
    'aws:PrincipalArn': caller.arn,
    'aws:PrincipalAccount': caller.account,
    'sts:RoleSessionName': request.sessionName,
    'aws:TagKeys': request.tags.map((t) => t.key),
  };
  for (const tag of request.tags) context[`aws:RequestTag/${tag.key}`] = tag.value;
  const actions = request.tags.length > 0 ? ['sts:AssumeRole', 'sts:TagSession'] : ['sts:AssumeRole'];
  for (const action of actions) {
    const refused = refusalFor({ action, resource: role.roleArn, context }, role, caller, request);
    if (refused !== undefined) return refused;
  }
  return undefined;
}

function refusalFor(
  access: AccessRequest,
  role: Pick<RolePolicies, 'roleArn' | 'trust'>,
  caller: AssumingCaller,
  request: AssumeRoleRequest,
): string | undefined {
  const applies = role.trust.filter(
    (s) => principalMatches(s.statement, caller) && statementMatches(s.statement, access),
  );
  const deny = applies.find((s) => s.statement.Effect === 'Deny');
  if (deny !== undefined) return `with an explicit deny in the role's trust policy (${deny.source})`;
  const allows = applies.filter((s) => s.statement.Effect === 'Allow');
  if (allows.length === 0)
    return `because no statement of the role's trust policy allows ${access.action} ${asked(caller, request)}`;
  // An explicit Deny in the caller's own policies wins, however directly the trust policy names it.
  const identity = caller.identity.filter((s) => statementMatches(s.statement, access));
  const identityDeny = identity.find((s) => s.statement.Effect === 'Deny');
  if (identityDeny !== undefined) return `with an explicit deny in an identity-based policy (${identityDeny.source})`;
  const roleAccount = arnAccount(role.roleArn);
  const direct = allows.some((s) => namesPrincipal(s.statement, caller.arn)) && roleAccount === caller.account;
  if (direct) return undefined;
  return identity.some((s) => s.statement.Effect === 'Allow')
    ? undefined
    : `because no identity-based policy of the caller allows ${access.action} on ${role.roleArn}`;
}

function asked(caller: AssumingCaller, request: AssumeRoleRequest): string {
  const tags =
    request.tags.length === 0 ? 'no session tags' : `session tags ${request.tags.map((t) => t.key).join(', ')}`;
  return `to ${caller.arn} (account ${caller.account}) with session name ${request.sessionName} and ${tags}`;
}
