import { type FromTemporaryCredentialsOptions, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { TargetRoles } from '../aws/target-roles';
import { RUN_ID_SESSION_TAG } from '../config/names';

/** STS AssumeRole's parameters. */
export type AssumeRoleParams = FromTemporaryCredentialsOptions['params'];

/** Credentials as an SDK client takes them. */
export type Credentials = ReturnType<typeof fromTemporaryCredentials>;

/** Where a call about a deployment goes: the target's account (null: the control plane's), on behalf of which run. */
export interface DeploySite {
  readonly account: string | null;
  /** Names and tags the session, so CloudTrail in the target account shows which run acted. */
  readonly runId: string;
}

/** A target account this function holds no role for: it was deployed from a config without it. */
export class UnknownTargetAccountError extends Error {
  override readonly name = 'Gantry.UnknownTargetAccount';
}

/** The session name the target's trust policy requires: `gantry-<run id>`, within STS's 64 characters. */
export function sessionName(runId: string): string {
  return `gantry-${runId.replace(/[^\w+=,.@-]/g, '-')}`.slice(0, 64);
}

/** What AssumeRole is asked for a site: the run id as the session's name and its one tag. */
export function assumeRoleParams(roleArn: string, runId: string): AssumeRoleParams {
  return {
    RoleArn: roleArn,
    RoleSessionName: sessionName(runId),
    Tags: [{ Key: RUN_ID_SESSION_TAG, Value: runId.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256) }],
    DurationSeconds: 900,
  };
}

/** Turns AssumeRole parameters into credentials (refreshed by the SDK as they expire). */
export type AssumeRole = (params: AssumeRoleParams) => Credentials;

const assumeWithSts: AssumeRole = (params) => fromTemporaryCredentials({ params });

/** How many sessions (account × run) a warm function keeps clients for. */
const MAX_SESSIONS = 32;

/**
 * Clients per site: the control plane's own for its account, else clients whose every call is
 * made as this function's role in the target account, in a session named and tagged with the run id.
 * An account with no role here is refused, never called with the control plane's own rights.
 */
export class TargetSessions<T> {
  private readonly sessions = new Map<string, T>();

  constructor(
    private readonly home: T,
    private readonly roles: TargetRoles,
    private readonly build: (credentials: Credentials) => T,
    private readonly assume: AssumeRole = assumeWithSts,
  ) {}

  /** Whether `account` is a target account this function has a role in. */
  holds(account: string): boolean {
    return Object.hasOwn(this.roles, account);
  }

  at(site: DeploySite): T {
    if (site.account === null) return this.home;
    const role = this.holds(site.account) ? this.roles[site.account] : undefined;
    if (role === undefined)
      throw new UnknownTargetAccountError(
        `no role in account ${site.account}: deploy the control plane from the config that names it, then the GantryTarget-${site.account} stack`,
      );
    const key = `${site.account}/${site.runId}`;
    let clients = this.sessions.get(key);
    if (clients === undefined) {
      clients = this.build(this.assume(assumeRoleParams(role, site.runId)));
      if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value ?? '');
      this.sessions.set(key, clients);
    }
    return clients;
  }
}
