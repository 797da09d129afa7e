import type { Identity } from '../../events';

/**
 * Who called, as STS named them when it answered the caller's proof (shared/operators/caller-proof.ts): an IAM user,
 * or a session of a role. A session's name is whatever the caller passed to AssumeRole, so it
 * says who someone is only when IAM Identity Center set it (its permission-set roles can be
 * assumed by nothing else, and it names each session after the user).
 */
export type Caller =
  | { readonly kind: 'user'; readonly arn: string }
  | {
      readonly kind: 'session';
      readonly partition: string;
      readonly account: string;
      readonly roleName: string;
      readonly session: string;
    }
  | { readonly kind: 'other'; readonly arn: string };

const USER = /^arn:(aws[a-z-]*):iam::(\d{12}):user\/.+$/;
const SESSION = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/(.+)$/;
const ROLE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/;

export function parseCaller(arn: string): Caller {
  if (USER.test(arn)) return { kind: 'user', arn };
  const session = SESSION.exec(arn);
  if (session) {
    const [, partition = '', account = '', roleName = '', name = ''] = session;
    return { kind: 'session', partition, account, roleName, session: name };
  }
  return { kind: 'other', arn };
}

/** The role an ARN names, without its path (an assumed-role ARN never shows the path). */
function roleOf(arn: string): { partition: string; account: string; name: string } | undefined {
  const m = ROLE.exec(arn);
  return m ? { partition: m[1] ?? '', account: m[2] ?? '', name: m[3] ?? '' } : undefined;
}

function isSessionOf(caller: Extract<Caller, { kind: 'session' }>, roleArn: string): boolean {
  const role = roleOf(roleArn);
  return (
    role !== undefined &&
    role.partition === caller.partition &&
    role.account === caller.account &&
    // IAM names are unique per account whatever their case.
    role.name.toLowerCase() === caller.roleName.toLowerCase()
  );
}

/**
 * Whether `caller` acts as the person `identity` describes:
 * - an IAM user listed in `principals`;
 * - any session of a role listed in `principals` (a role only this person can assume);
 * - a session of one of `identityCenterRoles` named after one of the person's Identity Center
 *   user names (Identity Center sets the name; nobody else can assume those roles).
 * A session name alone never identifies anyone.
 */
export function actsAs(identity: Person, callerArn: string, identityCenterRoles: readonly string[]): boolean {
  // Established by a Slack request whose signature verified (shared/notify/slack-actions.ts), never typed.
  if (callerArn.startsWith(SLACK_PRINCIPAL_PREFIX))
    return (identity.slack ?? []).includes(callerArn.slice(SLACK_PRINCIPAL_PREFIX.length));
  // Established by the console from a bearer token whose signature, issuer and audience verified (shared/console/oidc.ts).
  if (callerArn.startsWith(OIDC_PRINCIPAL_PREFIX))
    return (identity.oidc ?? []).includes(callerArn.slice(OIDC_PRINCIPAL_PREFIX.length));
  const caller = parseCaller(callerArn);
  if (caller.kind === 'user') return identity.principals.includes(caller.arn);
  if (caller.kind === 'other') return false;
  if (identity.principals.some((p) => isSessionOf(caller, p))) return true;
  const session = caller.session.toLowerCase();
  return (
    identityCenterRoles.some((r) => isSessionOf(caller, r)) &&
    identity.identityCenter.some((user) => user.toLowerCase() === session)
  );
}

/** The principal of a Slack user (`<team id>/<user id>`) whose request Slack signed. */
export const SLACK_PRINCIPAL_PREFIX = 'slack:';

/**
 * The principal of a console user (`oidc:<claim value>`), whose bearer token the console verified
 * against the configured issuer; the value is that of the claim `console.claim` names.
 */
export const OIDC_PRINCIPAL_PREFIX = 'oidc:';

/** What a person's configuration says about who acts as them. */
type Person = Pick<Identity, 'principals' | 'identityCenter'> & Partial<Pick<Identity, 'slack' | 'oidc'>>;

/** The first of `people` the caller acts as. */
export function personOf<P extends Person>(
  people: readonly P[],
  callerArn: string,
  identityCenterRoles: readonly string[],
): P | undefined {
  return people.find((p) => actsAs(p, callerArn, identityCenterRoles));
}
