import { arnAccount } from '../arn';
import type { TemplateResolver } from '../template/resolver';
import type { SourcedStatement, Statement } from './evaluate';

/** One IAM role of the synthesized templates and the identity policies attached to it. */
export interface RolePolicies {
  readonly roleName: string;
  readonly roleArn: string;
  readonly statements: readonly SourcedStatement[];
  /** Its trust policy: who may assume it (STS AssumeRole). */
  readonly trust: readonly SourcedStatement[];
  /** The longest session STS issues for it, in seconds (IAM's default, 3600, when unset). */
  readonly maxSessionDuration?: number;
}

/** What the templates say about IAM: roles, who assumes which, and the resource policies AWS applies. */
export interface TemplateIam {
  /**
   * By role name for the control plane's account; a role of another account (a target's deploy
   * role, named alike in every target account) by its ARN, so no role shadows another of its name.
   */
  readonly roles: ReadonlyMap<string, RolePolicies>;
  /** Function ARN → its role's key in `roles`. */
  readonly functionRoles: ReadonlyMap<string, string>;
  /** CodeBuild project name → its role's key in `roles`. */
  readonly projectRoles: ReadonlyMap<string, string>;
  /** Resource ARN (bucket, queue, key, secret) → its resource policy's statements. */
  readonly resourcePolicies: ReadonlyMap<string, readonly SourcedStatement[]>;
  /** Policies that could not be resolved locally: their grants are missing, said at start. */
  readonly unresolved: readonly string[];
}

/** Reads every role's identity policies and every bucket, queue, key and secret policy from the templates. */
export function templateIam(t: TemplateResolver): TemplateIam {
  const unresolved: string[] = [];
  const props = (stack: string, id: string) => {
    try {
      return t.properties(stack, id);
    } catch (error) {
      unresolved.push(`${stack}/${id}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const roles = new Map<
    string,
    {
      roleName: string;
      roleArn: string;
      statements: SourcedStatement[];
      trust: SourcedStatement[];
      maxSessionDuration?: number;
    }
  >();
  // A policy names its roles by name, which is unique only within the policy's stack's account.
  const byAccount = new Map<string, { statements: SourcedStatement[] }>();
  const inAccount = (stack: string, name: string) => `${t.accountOf(stack)}/${name}`;
  for (const r of t.resources('AWS::IAM::Role')) {
    const roleName = t.ref(r.stack, r.logicalId);
    const p = props(r.stack, r.logicalId);
    const role = {
      roleName,
      roleArn: t.attribute(r.stack, r.logicalId, 'Arn'),
      statements: [] as SourcedStatement[],
      trust: sourced(`${r.logicalId}/AssumeRolePolicyDocument`, p?.AssumeRolePolicyDocument as Document | undefined),
      ...(p?.MaxSessionDuration === undefined ? {} : { maxSessionDuration: Number(p.MaxSessionDuration) }),
    };
    roles.set(t.accountOf(r.stack) === t.env.accountId ? roleName : role.roleArn, role);
    byAccount.set(inAccount(r.stack, roleName), role);
    for (const inline of (p?.Policies ?? []) as { PolicyName: string; PolicyDocument: Document }[])
      role.statements.push(...sourced(`${r.logicalId}/${inline.PolicyName}`, inline.PolicyDocument));
  }
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const r of t.resources(type)) {
      const p = props(r.stack, r.logicalId);
      if (p === undefined) continue;
      const statements = sourced(r.logicalId, p.PolicyDocument as Document);
      for (const name of (p.Roles ?? []) as string[])
        byAccount.get(inAccount(r.stack, name))?.statements.push(...statements);
    }
  }
  return {
    roles,
    // By ARN: two accounts may each have a function of one name (a sample stack's traffic hook).
    functionRoles: assumedBy(t, 'AWS::Lambda::Function', 'Role', (stack, id) => t.attribute(stack, id, 'Arn')),
    projectRoles: assumedBy(t, 'AWS::CodeBuild::Project', 'ServiceRole'),
    resourcePolicies: resourcePolicies(t, props),
    unresolved,
  };
}

interface Document {
  readonly Statement?: Statement | readonly Statement[];
}

function sourced(source: string, document: Document | undefined): SourcedStatement[] {
  const statements = document?.Statement;
  if (statements === undefined) return [];
  const all = Array.isArray(statements) ? (statements as Statement[]) : [statements as Statement];
  return all.map((statement, i) => ({ statement, source: `${source}#${statement.Sid ?? i}` }));
}

/** Resource name (its Ref, or what `key` gives) → the role it runs as, keyed as `roles` keys it. */
function assumedBy(
  t: TemplateResolver,
  type: string,
  property: string,
  key: (stack: string, logicalId: string) => string = (stack, logicalId) => t.ref(stack, logicalId),
): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of t.resources(type)) {
    let arn: unknown;
    try {
      arn = t.properties(r.stack, r.logicalId)[property];
    } catch {
      continue;
    }
    // The role as `roles` keys it: by name in the control plane's account, by ARN in another.
    if (typeof arn === 'string')
      out.set(
        key(r.stack, r.logicalId),
        arnAccount(arn) === t.env.accountId ? arn.slice(arn.lastIndexOf('/') + 1) : arn,
      );
  }
  return out;
}

function resourcePolicies(
  t: TemplateResolver,
  props: (stack: string, id: string) => Record<string, unknown> | undefined,
): Map<string, SourcedStatement[]> {
  const out = new Map<string, SourcedStatement[]>();
  const add = (arn: string, statements: SourcedStatement[]) => out.set(arn, [...(out.get(arn) ?? []), ...statements]);
  for (const r of t.resources('AWS::S3::BucketPolicy')) {
    const p = props(r.stack, r.logicalId);
    if (p !== undefined) add(`arn:aws:s3:::${String(p.Bucket)}`, sourced(r.logicalId, p.PolicyDocument as Document));
  }
  for (const r of t.resources('AWS::SQS::QueuePolicy')) {
    const p = props(r.stack, r.logicalId);
    for (const url of (p?.Queues ?? []) as string[])
      add(queueArnOfUrl(t, url), sourced(r.logicalId, p?.PolicyDocument as Document));
  }
  for (const r of t.resources('AWS::KMS::Key')) {
    const p = props(r.stack, r.logicalId);
    if (p !== undefined)
      add(t.attribute(r.stack, r.logicalId, 'Arn'), sourced(r.logicalId, p.KeyPolicy as Document | undefined));
  }
  // An event bus's policy: one statement per AWS::Events::EventBusPolicy (its Statement property).
  for (const r of t.resources('AWS::Events::EventBusPolicy')) {
    const p = props(r.stack, r.logicalId);
    if (p?.Statement === undefined) continue;
    const name = String(p.EventBusName ?? 'default');
    const arn = name.startsWith('arn:')
      ? name
      : `arn:aws:events:${t.env.region}:${t.accountOf(r.stack)}:event-bus/${name}`;
    add(arn, sourced(r.logicalId, { Statement: p.Statement as Statement }));
  }
  for (const r of t.resources('AWS::SecretsManager::ResourcePolicy')) {
    const p = props(r.stack, r.logicalId);
    if (p !== undefined) add(String(p.SecretId), sourced(r.logicalId, p.ResourcePolicy as Document));
  }
  return out;
}

function queueArnOfUrl(t: TemplateResolver, url: string): string {
  return `arn:aws:sqs:${t.env.region}:${t.env.accountId}:${url.slice(url.lastIndexOf('/') + 1)}`;
}
