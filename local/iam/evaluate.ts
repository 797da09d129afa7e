/** One statement of an IAM policy document, as the template gives it (intrinsics resolved). */
export interface Statement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action?: string | readonly string[];
  readonly NotAction?: string | readonly string[];
  readonly Resource?: string | readonly string[];
  readonly NotResource?: string | readonly string[];
  readonly Principal?: unknown;
  readonly NotPrincipal?: unknown;
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** A statement with where it came from, so a decision can name the policy that made it. */
export interface SourcedStatement {
  readonly statement: Statement;
  /** `<policy name>#<index>`: what the report and the denial line cite. */
  readonly source: string;
}

/** What one AWS call asks for: an action on a resource, in a request context. */
export interface AccessRequest {
  /** `service:Operation`, e.g. `s3:GetObject`. */
  readonly action: string;
  readonly resource: string;
  /** Condition keys and their values (`aws:SecureTransport`, `aws:SourceArn`, …). */
  readonly context: Readonly<Record<string, string | readonly string[]>>;
}

export type Decision = 'allow' | 'explicit-deny' | 'implicit-deny';

export interface Evaluation {
  readonly decision: Decision;
  /** The statements that allowed (or the one that denied) the request. */
  readonly matched: readonly SourcedStatement[];
  /** Whether a resource policy took part in the decision. */
  readonly byResourcePolicy: boolean;
  /** Across accounts, the policies whose Allow was missing. */
  readonly lacking?: readonly ('identity-based' | 'resource-based')[];
}

/**
 * AWS's policy evaluation logic for a principal of the same account (across accounts, see
 * `crossAccount`), reduced to the policy types
 * a CDK app declares: an explicit Deny in any policy wins; otherwise an Allow in an identity policy
 * or in a resource policy naming the principal allows; otherwise the request is implicitly denied.
 * KMS is the exception AWS makes: its key policy must allow, directly or by trusting the account
 * (`arn:aws:iam::<account>:root`), before identity policies count.
 */
export function evaluate(
  request: AccessRequest,
  identity: readonly SourcedStatement[],
  resourcePolicy: readonly SourcedStatement[] | undefined,
  principal: { readonly arn: string; readonly account: string },
  options: {
    readonly keyPolicy?: boolean;
    /**
     * The resource belongs to another account than the principal's: AWS then wants both an Allow
     * of the principal's identity policies and one of the resource's policy for that principal
     * (by its ARN or its account).
     */
    readonly crossAccount?: boolean;
  } = {},
): Evaluation {
  const resourceStatements = (resourcePolicy ?? []).filter((s) => principalMatches(s.statement, principal));
  for (const list of [identity, resourceStatements]) {
    const deny = list.find((s) => s.statement.Effect === 'Deny' && statementMatches(s.statement, request));
    if (deny !== undefined) return { decision: 'explicit-deny', matched: [deny], byResourcePolicy: list !== identity };
  }
  const allows = (list: readonly SourcedStatement[]) =>
    list.filter((s) => s.statement.Effect === 'Allow' && statementMatches(s.statement, request));
  if (options.crossAccount === true) {
    const byIdentity = allows(identity);
    const byResource = allows(resourceStatements);
    const lacking = [
      ...(byIdentity.length === 0 ? (['identity-based'] as const) : []),
      ...(byResource.length === 0 ? (['resource-based'] as const) : []),
    ];
    return lacking.length === 0
      ? { decision: 'allow', matched: [...byIdentity, ...byResource], byResourcePolicy: true }
      : { decision: 'implicit-deny', matched: [], byResourcePolicy: true, lacking };
  }
  const byResource = allows(resourceStatements).filter((s) => namesPrincipal(s.statement, principal.arn));
  if (options.keyPolicy === true) {
    const trustsAccount = allows(resourceStatements).some((s) => !namesPrincipal(s.statement, principal.arn));
    const byIdentity = trustsAccount ? allows(identity) : [];
    const matched = [...byResource, ...byIdentity];
    return { decision: matched.length > 0 ? 'allow' : 'implicit-deny', matched, byResourcePolicy: true };
  }
  const matched = [...allows(identity), ...byResource];
  return {
    decision: matched.length > 0 ? 'allow' : 'implicit-deny',
    matched,
    byResourcePolicy: byResource.length > 0,
  };
}

/** True when the statement's Action/NotAction, Resource/NotResource and Condition all match. */
export function statementMatches(statement: Statement, request: AccessRequest): boolean {
  const actionOk =
    statement.Action !== undefined
      ? list(statement.Action).some((p) => wildcard(p, request.action, true))
      : statement.NotAction !== undefined && !list(statement.NotAction).some((p) => wildcard(p, request.action, true));
  if (!actionOk) return false;
  // A resource policy may omit Resource: the policy is attached to the resource it applies to.
  const resourceOk =
    statement.Resource !== undefined
      ? list(statement.Resource).some((p) => wildcard(p, request.resource, false))
      : statement.NotResource !== undefined
        ? !list(statement.NotResource).some((p) => wildcard(p, request.resource, false))
        : true;
  // A condition this evaluator cannot decide never grants, and never spares a request a Deny.
  return resourceOk && conditionsMatch(statement.Condition, request.context, statement.Effect === 'Deny');
}

/** Does a resource policy statement apply to this principal (Principal or NotPrincipal)? */
export function principalMatches(statement: Statement, principal: { arn: string; account: string }): boolean {
  if (statement.NotPrincipal !== undefined)
    return !awsPrincipals(statement.NotPrincipal).some((p) => p === principal.arn);
  if (statement.Principal === undefined) return false;
  return awsPrincipals(statement.Principal).some(
    (p) =>
      p === '*' || p === principal.arn || p === `arn:aws:iam::${principal.account}:root` || p === principal.account,
  );
}

/**
 * A resource policy Allow grants by itself only when it names the principal (or everyone); one
 * that names the account delegates to the account's identity policies instead.
 */
export function namesPrincipal(statement: Statement, arn: string): boolean {
  return awsPrincipals(statement.Principal).some((p) => p === '*' || p === arn);
}

function awsPrincipals(principal: unknown): string[] {
  if (principal === '*') return ['*'];
  if (principal === null || typeof principal !== 'object') return [];
  const aws = (principal as { AWS?: unknown }).AWS;
  return aws === undefined ? [] : list(aws as string | string[]).map(String);
}

function list<T>(value: T | readonly T[]): readonly T[] {
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

const patterns = new Map<string, RegExp>();

/** IAM's `*` (any run) and `?` (any one character); actions match case-insensitively, resources exactly. */
export function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  if (pattern === '*') return true;
  if (!pattern.includes('*') && !pattern.includes('?'))
    return ignoreCase ? pattern.toLowerCase() === value.toLowerCase() : pattern === value;
  const key = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = patterns.get(key);
  if (regex === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
    patterns.set(key, regex);
  }
  return regex.test(value);
}

type Compare = (policyValue: string, contextValue: string) => boolean;

const OPERATORS: Readonly<Record<string, { compare: Compare; negated: boolean }>> = {
  StringEquals: { compare: (p, c) => p === c, negated: false },
  StringNotEquals: { compare: (p, c) => p === c, negated: true },
  StringEqualsIgnoreCase: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: true },
  StringLike: { compare: (p, c) => wildcard(p, c, false), negated: false },
  StringNotLike: { compare: (p, c) => wildcard(p, c, false), negated: true },
  ArnEquals: { compare: (p, c) => arnLike(p, c), negated: false },
  ArnLike: { compare: (p, c) => arnLike(p, c), negated: false },
  ArnNotEquals: { compare: (p, c) => arnLike(p, c), negated: true },
  ArnNotLike: { compare: (p, c) => arnLike(p, c), negated: true },
  Bool: { compare: (p, c) => p.toLowerCase() === c.toLowerCase(), negated: false },
};

/** ARNs compare segment by segment, each with wildcards (ArnEquals and ArnLike behave alike). */
function arnLike(pattern: string, arn: string): boolean {
  const p = pattern.split(':');
  const a = arn.split(':');
  if (p.length > a.length || a.length < 6 || p.length < 6) return wildcard(pattern, arn, false);
  const head = p.slice(0, 5).every((seg, i) => wildcard(seg, a[i] ?? '', false));
  return head && wildcard(p.slice(5).join(':'), a.slice(5).join(':'), false);
}

/**
 * Every operator block and every key in it must hold (AND); the values listed for one key are
 * alternatives (OR). A key absent from the request fails a positive operator, satisfies a negated
 * one, satisfies any `…IfExists` and `ForAllValues:`, and fails `ForAnyValue:`. An operator (or
 * set qualifier) this evaluator does not know holds as `unknown` says: false for an Allow (it
 * never grants), true for a Deny (it may hold in AWS, so it denies).
 */
export function conditionsMatch(
  condition: Statement['Condition'],
  context: Readonly<Record<string, string | readonly string[]>>,
  unknown = false,
): boolean {
  if (condition === undefined) return true;
  return Object.entries(condition).every(([operator, keys]) =>
    Object.entries(keys).every(([key, values]) => conditionHolds(operator, key, values, context) ?? unknown),
  );
}

/** Whether one key's condition holds, or undefined when the operator is not one this evaluator knows. */
function conditionHolds(
  operator: string,
  key: string,
  values: unknown,
  context: Readonly<Record<string, string | readonly string[]>>,
): boolean | undefined {
  const wanted = list(values as string | string[]).map(String);
  const found = contextValues(context, key);
  if (operator === 'Null') return wanted.some((w) => (w.toLowerCase() === 'true') === (found === undefined));
  const [qualifier, rest] = operator.includes(':') ? operator.split(':', 2) : [undefined, operator];
  if (qualifier !== undefined && qualifier !== 'ForAllValues' && qualifier !== 'ForAnyValue') return undefined;
  const ifExists = (rest ?? '').endsWith('IfExists');
  const name = ifExists ? (rest ?? '').slice(0, -'IfExists'.length) : (rest ?? '');
  const op = Object.hasOwn(OPERATORS, name) ? OPERATORS[name] : undefined;
  if (op === undefined) return undefined;
  if (qualifier === 'ForAllValues') {
    return (found ?? []).every((c) => wanted.some((w) => op.compare(w, c)) !== op.negated);
  }
  if (qualifier === 'ForAnyValue') {
    return (found ?? []).some((c) => wanted.some((w) => op.compare(w, c)) !== op.negated);
  }
  if (found === undefined) return ifExists || op.negated;
  const any = found.some((c) => wanted.some((w) => op.compare(w, c)));
  return op.negated ? !any : any;
}

/** Condition keys are case-insensitive. */
function contextValues(
  context: Readonly<Record<string, string | readonly string[]>>,
  key: string,
): readonly string[] | undefined {
  const direct = context[key];
  const value =
    direct ?? Object.entries(context).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1] ?? undefined;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}
