import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { arnAccount } from '../arn';
import type { Principal } from '../edge/identity';
import { type AccessRequest, evaluate, type SourcedStatement } from './evaluate';
import type { RolePolicies, TemplateIam } from './policies';
import { type ArnLookups, accessOf, type CallAccess, type EdgeCall } from './requests';
import { type AssumeRoleRequest, assumeRoleRefusal } from './trust';

export { arnLookups } from './lookups';
export type { TemplateIam } from './policies';
export { templateIam } from './policies';
export type { ArnLookups, EdgeCall } from './requests';
export type { AssumeRoleRequest } from './trust';

/** What STS AssumeRole decided: the session's principal, or why the caller was refused. */
export type AssumeRoleDecision =
  | { readonly ok: true; readonly principal: Extract<Principal, { kind: 'role' }> }
  | { readonly ok: false; readonly reason: string };

export interface RoleCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** One call IAM refused, as the terminal line and the report show it. */
export interface DeniedCall {
  readonly at: string;
  readonly role: string;
  /** The functions and build projects that run as the role. */
  readonly callers: readonly string[];
  readonly action: string;
  readonly resource: string;
  readonly reason: string;
}

/** What `gantry local iam report` reads: per role, denied calls and each grant's use. */
export interface IamDecisions {
  readonly roles: Record<
    string,
    {
      readonly callers: readonly string[];
      /** The newest denials (at most 200); `droppedDenials` counts the older ones not kept. */
      readonly denied: readonly DeniedCall[];
      readonly droppedDenials?: number;
      readonly grants: readonly {
        source: string;
        actions: readonly string[];
        resources: readonly string[];
        used: boolean;
      }[];
    }
  >;
}

/** The file under the data folder the edge records decisions in. */
export const DECISIONS_FILE = join('iam', 'decisions.json');
const MAX_DENIED_PER_ROLE = 200;
const SAVE_DELAY_MS = 100;

export interface LocalIamOptions {
  readonly iam: TemplateIam;
  readonly arns: ArnLookups;
  readonly dataDir: string;
  /** One line per denied call, for the `npm start` terminal. */
  readonly onDenied?: (line: string, call: DeniedCall) => void;
  /** One line per role session STS issued (who assumed which role, the session's name and tags). */
  readonly onAssumed?: (line: string) => void;
}

/**
 * Local IAM: one credential pair per role of the templates, and the authorization every request
 * signed with one of them goes through at the edge, against the role's identity policies and the
 * resource policies AWS would apply. Other principals (the operator, the aws CLI) are not restricted.
 */
export class LocalIam {
  readonly credentials: ReadonlyMap<string, RoleCredentials>;
  private readonly used = new Map<string, Set<string>>();
  private readonly denied = new Map<string, DeniedCall[]>();
  private readonly dropped = new Map<string, number>();
  private readonly file: string;
  private readonly callers: Map<string, string[]>;
  /** Role ARN → its key in `iam.roles` and its policies: a principal is its role by ARN, never by a name another account reuses. */
  private readonly byArn: ReadonlyMap<string, { readonly key: string; readonly role: RolePolicies }>;
  private saving: NodeJS.Timeout | undefined;
  private flushed = false;
  private deploymentGroupOf: ((deploymentId: string) => string | undefined) | undefined;

  constructor(private readonly options: LocalIamOptions) {
    this.credentials = new Map(
      [...options.iam.roles.keys()].map((role) => [
        role,
        {
          accessKeyId: `AKIAGANTRY${randomBytes(5).toString('hex').toUpperCase()}`,
          secretAccessKey: randomBytes(30).toString('base64'),
        },
      ]),
    );
    this.callers = new Map();
    this.byArn = new Map([...options.iam.roles].map(([key, role]) => [role.roleArn, { key, role }]));
    const functions = [...options.iam.functionRoles].map(([arn, role]): [string, string] => [
      arn.slice(arn.lastIndexOf(':') + 1),
      role,
    ]);
    for (const [caller, role] of [...functions, ...options.iam.projectRoles])
      this.callers.set(role, [...(this.callers.get(role) ?? []), caller]);
    this.file = join(options.dataDir, DECISIONS_FILE);
    this.save();
  }

  /** Registers every role's credentials with the edge's registry, each standing for its role. */
  register(registry: { register(accessKeyId: string, secretAccessKey: string, principal: Principal): void }): void {
    for (const [key, c] of this.credentials) {
      const role = this.options.iam.roles.get(key);
      const roleName = role?.roleName ?? key;
      registry.register(c.accessKeyId, c.secretAccessKey, { kind: 'role', roleName, roleArn: role?.roleArn ?? '' });
    }
  }

  /** The credentials a function runs with: its execution role's. */
  forFunction(functionArn: string): RoleCredentials | undefined {
    const role = this.options.iam.functionRoles.get(functionArn);
    return role === undefined ? undefined : this.credentials.get(role);
  }

  /** The credentials a build runs with: its project's service role's. */
  forProject(projectName: string): RoleCredentials | undefined {
    const role = this.options.iam.projectRoles.get(projectName);
    return role === undefined ? undefined : this.credentials.get(role);
  }

  /** For runtime.json: `{ "<role name>": { accessKeyId, secretAccessKey } }`. */
  roles(): Record<string, RoleCredentials> {
    return Object.fromEntries(this.credentials);
  }

  /**
   * Authorizes an authenticated edge call. Returns true when it refused the call, having written
   * AWS's AccessDenied answer for the call's protocol to `res`.
   */
  authorize(principal: Principal, call: EdgeCall, res: ServerResponse): boolean {
    if (principal.kind !== 'role') return false;
    const denial = this.decide(principal, call);
    if (denial === undefined) return false;
    writeDenial(res, call, denial, principal, accountOf(principal.roleArn, this.options.arns.accountId));
    return true;
  }

  /**
   * STS AssumeRole for a caller the edge authenticated: allowed when the role's trust policy (and,
   * across accounts, the caller's identity policies) allow it, as {@link assumeRoleRefusal} decides.
   * Only the templates' roles and their sessions may assume a role: the operator and the shared
   * internal credentials are no principal a trust policy names.
   */
  assumeRole(caller: Principal, request: AssumeRoleRequest): AssumeRoleDecision {
    const role = this.byArn.get(request.roleArn)?.role;
    const who =
      caller.kind === 'role'
        ? {
            arn: caller.roleArn,
            account: accountOf(caller.roleArn, this.options.arns.accountId),
            identity: this.byArn.get(caller.roleArn)?.role.statements ?? [],
          }
        : (() => {
            // A person's ARN names their own account: never the control plane's unless it says so.
            const arn = callerArn(caller, this.options.arns.accountId);
            return { arn, account: accountOf(arn, this.options.arns.accountId), identity: [] };
          })();
    const reason = assumeRoleRefusal(role, who, request);
    if (role === undefined || reason !== undefined) {
      const why = reason ?? `no role ${request.roleArn} exists in local mode`;
      // Recorded as the caller's denial: its role's, or (a person) under its own ARN.
      const key = caller.kind === 'role' ? (this.byArn.get(caller.roleArn)?.key ?? caller.roleName) : who.arn;
      this.recordDenied(key, 'sts:AssumeRole', request.roleArn, why);
      return { ok: false, reason: why };
    }
    this.options.onAssumed?.(
      `STS AssumeRole: ${who.arn} assumed ${role.roleArn} as session ${request.sessionName}${request.tags.map((t) => ` ${t.key}=${t.value}`).join('')}`,
    );
    return {
      ok: true,
      principal: { kind: 'role', roleName: role.roleName, roleArn: role.roleArn, sessionName: request.sessionName },
    };
  }

  /**
   * Where a deployment's group is found once CodeDeploy runs: it acts on a deployment by its id
   * alone, so a deployment call is authorized on the group that id belongs to.
   */
  locateDeployments(groupOf: (deploymentId: string) => string | undefined): void {
    this.deploymentGroupOf = groupOf;
  }

  /** The decision alone: undefined when allowed, else the refusal. */
  decide(principal: Extract<Principal, { kind: 'role' }>, call: EdgeCall): DeniedCall | undefined {
    const account = accountOf(principal.roleArn, this.options.arns.accountId);
    // A call names its resources in the account of the principal that makes it (a target account's session: that account).
    const arns = { ...this.options.arns, accountId: account };
    if (this.deploymentGroupOf !== undefined) arns.deploymentGroupOf = this.deploymentGroupOf;
    return this.check(principal, accessOf(call, arns));
  }

  /**
   * What a service does with the caller's own credentials (Lambda reading UpdateFunctionCode's
   * package from S3), decided as the call itself would be: undefined when allowed (or when the
   * caller is no role, which local IAM does not restrict), else the refusal, recorded as any.
   */
  decideFor(
    principal: Principal,
    access: { readonly action: string; readonly resource: string },
  ): DeniedCall | undefined {
    if (principal.kind !== 'role') return undefined;
    return this.check(principal, [{ action: access.action, resources: [access.resource] }]);
  }

  /**
   * What a service does with a role for a caller, as that role: EventBridge putting an event on
   * another account's bus with a rule target's role (the event's source and detail type are the
   * condition keys `events:source` and `events:detail-type`). Undefined when allowed, else the refusal.
   */
  decideAs(
    roleArn: string,
    access: { readonly action: string; readonly resource: string },
    context: Readonly<Record<string, string>> = {},
  ): DeniedCall | undefined {
    const roleName = this.byArn.get(roleArn)?.role.roleName ?? roleArn.slice(roleArn.lastIndexOf('/') + 1);
    return this.check({ kind: 'role', roleName, roleArn }, [{ ...access, resources: [access.resource] }], context);
  }

  private check(
    principal: Extract<Principal, { kind: 'role' }>,
    accesses: readonly CallAccess[],
    extraContext: Readonly<Record<string, string>> = {},
  ): DeniedCall | undefined {
    const found = this.byArn.get(principal.roleArn);
    const identity = found?.role.statements ?? [];
    const key = found?.key ?? principal.roleName;
    const who = { arn: principal.roleArn, account: accountOf(principal.roleArn, this.options.arns.accountId) };
    const context = {
      ...extraContext,
      'aws:SecureTransport': 'true',
      'aws:PrincipalArn': principal.roleArn,
      'aws:PrincipalAccount': who.account,
    };
    for (const access of accesses) {
      if (access.refusal !== undefined)
        return this.recordDenied(key, access.action, access.resources[0] ?? '*', access.refusal);
      const outcomes = access.resources.map((resource) => {
        const request: AccessRequest = { action: access.action, resource, context: { ...context, ...access.context } };
        const policy = this.resourcePolicyOf(resource);
        const keyPolicy = access.action.toLowerCase().startsWith('kms:') && policy !== undefined;
        const crossAccount = this.ownerOf(resource, who.account) !== who.account;
        return { resource, result: evaluate(request, identity, policy, who, { keyPolicy, crossAccount }) };
      });
      const failed = access.anyOf
        ? outcomes.every((o) => o.result.decision !== 'allow')
          ? outcomes[0]
          : undefined
        : outcomes.find((o) => o.result.decision !== 'allow');
      for (const o of outcomes) if (o.result.decision === 'allow') this.markUsed(key, o.result.matched);
      if (failed !== undefined) {
        const resource = failed.resource;
        const lacking = failed.result.lacking;
        const reason =
          failed.result.decision === 'explicit-deny'
            ? `with an explicit deny in ${failed.result.byResourcePolicy ? 'a resource-based policy' : 'an identity-based policy'} (${failed.result.matched[0]?.source})`
            : lacking !== undefined
              ? `because the resource is in account ${this.ownerOf(resource, who.account)}, and no ${lacking.join(' and no ')} policy allows the ${access.action} action`
              : `because no identity-based policy allows the ${access.action} action`;
        // A grant limited to some attributes is fixed by knowing which ones the request named.
        const attributes = access.context?.['dynamodb:Attributes'];
        const named = attributes === undefined ? '' : ` on attributes ${attributes.join(', ')}`;
        return this.recordDenied(key, access.action, resource, `${reason}${named}`);
      }
    }
    return undefined;
  }

  /** The decisions so far, as the report reads them. */
  decisions(): IamDecisions {
    const roles: Record<string, IamDecisions['roles'][string]> = {};
    for (const [name, role] of this.options.iam.roles) {
      const callers = this.callers.get(name) ?? [];
      const denied = this.denied.get(name) ?? [];
      // A role nothing runs as is reported once a session of it was refused something.
      if (callers.length === 0 && denied.length === 0) continue;
      const used = this.used.get(name) ?? new Set();
      roles[name] = {
        callers,
        denied,
        ...this.droppedOf(name),
        grants: role.statements
          .filter((s) => s.statement.Effect === 'Allow')
          .map((s) => ({
            source: s.source,
            actions: list(s.statement.Action ?? s.statement.NotAction),
            resources: list(s.statement.Resource ?? s.statement.NotResource),
            used: used.has(s.source),
          })),
      };
    }
    // A caller that is no role of the templates (a person refused a role): its denials alone.
    for (const [name, denied] of this.denied)
      if (!this.options.iam.roles.has(name)) roles[name] = { callers: [], denied, ...this.droppedOf(name), grants: [] };
    return { roles };
  }

  private droppedOf(name: string): { droppedDenials?: number } {
    const dropped = this.dropped.get(name);
    return dropped === undefined ? {} : { droppedDenials: dropped };
  }

  /**
   * The account a resource belongs to: its ARN's, or (S3 names no account) the control plane's;
   * `*` (an action on no resource) is the caller's own.
   */
  private ownerOf(resource: string, caller: string): string {
    if (resource === '*') return caller;
    return arnAccount(resource) ?? this.options.arns.accountId;
  }

  private resourcePolicyOf(resource: string): readonly SourcedStatement[] | undefined {
    const policies = this.options.iam.resourcePolicies;
    if (resource.startsWith('arn:aws:s3:::')) {
      const bucket = resource.slice('arn:aws:s3:::'.length).split('/')[0] ?? '';
      return policies.get(`arn:aws:s3:::${bucket}`);
    }
    return policies.get(resource);
  }

  private markUsed(role: string, matched: readonly SourcedStatement[]): void {
    const used = this.used.get(role) ?? new Set<string>();
    this.used.set(role, used);
    const before = used.size;
    for (const s of matched) used.add(s.source);
    if (used.size !== before) this.scheduleSave();
  }

  private recordDenied(role: string, action: string, resource: string, reason: string): DeniedCall {
    const callers = this.callers.get(role) ?? [];
    const call: DeniedCall = { at: new Date().toISOString(), role, callers, action, resource, reason };
    // The newest are what a developer fixing the template needs: the oldest go, and are counted.
    const list = this.denied.get(role) ?? [];
    list.push(call);
    if (list.length > MAX_DENIED_PER_ROLE) {
      list.shift();
      this.dropped.set(role, (this.dropped.get(role) ?? 0) + 1);
    }
    this.denied.set(role, list);
    this.scheduleSave();
    const named = this.options.iam.roles.has(role) ? `; role ${role}` : '';
    this.options.onDenied?.(
      `IAM denied ${callers.join(', ') || role}: ${action} on ${resource} (${reason}${named})`,
      call,
    );
    return call;
  }

  /** Writes the decisions soon, once for a burst of calls: the call being authorized never waits on the disk. */
  private scheduleSave(): void {
    // After flush() the process may end before any timer fires: what comes now is written now.
    if (this.flushed) {
      this.save();
      return;
    }
    if (this.saving !== undefined) return;
    this.saving = setTimeout(() => {
      this.saving = undefined;
      this.save();
    }, SAVE_DELAY_MS);
    this.saving.unref();
  }

  /** Writes what is pending now, and each decision after this at once (the control plane is closing). */
  flush(): void {
    this.flushed = true;
    if (this.saving === undefined) return;
    clearTimeout(this.saving);
    this.saving = undefined;
    this.save();
  }

  private save(): void {
    mkdirSync(join(this.options.dataDir, 'iam'), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.decisions()), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

/** The account an ARN names (its fifth field), or `fallback` for one without. */
function accountOf(arn: string, fallback: string): string {
  return arnAccount(arn) ?? fallback;
}

function callerArn(caller: Principal, account: string): string {
  switch (caller.kind) {
    case 'role':
      return caller.roleArn;
    case 'user':
      return caller.arn;
    default:
      return `arn:aws:iam::${account}:user/gantry-${caller.kind}`;
  }
}

function list(value: string | readonly string[] | undefined): readonly string[] {
  return value === undefined ? [] : typeof value === 'string' ? [value] : value;
}

/** AWS's AccessDenied: S3's XML `AccessDenied`, or the JSON protocols' `AccessDeniedException`, both 403. */
function writeDenial(
  res: ServerResponse,
  call: EdgeCall,
  denied: DeniedCall,
  principal: Extract<Principal, { kind: 'role' }>,
  account: string,
): void {
  const session = principal.sessionName ?? denied.callers[0] ?? 'local';
  const roleArn = `arn:aws:sts::${account}:assumed-role/${principal.roleName}/${session}`;
  const message = `User: ${roleArn} is not authorized to perform: ${denied.action} on resource: ${denied.resource} ${denied.reason}`;
  const json = call.headers['x-amz-target'] !== undefined || /^\/(2015-03-31|2019-09-25)\//.test(call.url.pathname);
  if (json) {
    res
      .writeHead(403, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'AccessDeniedException' })
      .end(JSON.stringify({ __type: 'AccessDeniedException', message, Message: message }));
    return;
  }
  const escaped = message.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  res
    .writeHead(403, { 'content-type': 'application/xml' })
    .end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>${escaped}</Message></Error>`,
    );
}
