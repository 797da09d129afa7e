import type { GantryApp } from '../../infra/app';
import { FUNCTION_METADATA_KEY } from '../../infra/constructs/function-metadata';
import { evaluate } from '../../local/iam/evaluate';
import { templateIam } from '../../local/iam/policies';
import { resolvedTemplates } from './cdk';

/**
 * The control plane's IAM invariants, read from a synthesized app: who may answer a waiting
 * task, who may read an execution's history (which shows every task token), and who may invoke
 * the operator API's function. Shared by the suites that synthesize the app with and without a
 * console, so the rules hold in both.
 */
interface PolicyDocument {
  readonly Statement?: {
    readonly Effect: string;
    readonly Action?: string | string[];
    readonly NotAction?: string | string[];
    readonly Resource?: unknown;
  }[];
}
interface PolicyProps {
  readonly PolicyDocument?: PolicyDocument;
  readonly Policies?: { readonly PolicyDocument: PolicyDocument }[];
  readonly Roles?: { readonly Ref?: string }[];
}

export interface AllowStatement {
  /** `<stack>/<logical id>` of the policy or role that holds it. */
  readonly where: string;
  /** The logical id alone. */
  readonly id: string;
  readonly actions: string[];
  readonly resources: unknown[];
  readonly notAction: boolean;
}

/** Every Allow statement of every IAM policy (inline, managed, a role's own) in every stack of the app. */
export function allowStatements(gantry: Pick<GantryApp, 'app'>): AllowStatement[] {
  const out: AllowStatement[] = [];
  for (const stack of gantry.app.synth().stacks) {
    const resources = (stack.template as { Resources: Record<string, { Type: string; Properties?: PolicyProps }> })
      .Resources;
    for (const [id, r] of Object.entries(resources)) {
      const documents =
        r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy'
          ? [r.Properties?.PolicyDocument]
          : r.Type === 'AWS::IAM::Role'
            ? (r.Properties?.Policies ?? []).map((p) => p.PolicyDocument)
            : [];
      for (const doc of documents) {
        for (const s of doc?.Statement ?? []) {
          if (s.Effect !== 'Allow') continue;
          out.push({
            where: `${stack.stackName}/${id}`,
            id,
            actions: [s.Action ?? s.NotAction ?? []].flat(),
            resources: [s.Resource ?? '*'].flat(),
            notAction: s.NotAction !== undefined,
          });
        }
      }
    }
  }
  return out;
}

/** Whether an IAM action pattern (glob semantics: `states:*`, `states:Get*`, `*`) covers `action`. */
export function covers(pattern: string, action: string): boolean {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  ).test(action);
}

/** The logical ids of the policies that allow `action` (a NotAction statement counts when it does not exclude it). */
export function holdersOf(statements: readonly AllowStatement[], action: string): string[] {
  return [
    ...new Set(
      statements
        .filter((s) =>
          s.notAction ? !s.actions.some((a) => covers(a, action)) : s.actions.some((a) => covers(a, action)),
        )
        .map((s) => s.id),
    ),
  ];
}

/**
 * The only roles that may answer a waiting task, with or without a console: the operator API
 * (approvals, as `decide()` records them), WaitTurn (the lane), the Deploy step and the deployment
 * events (a release's own wait). ReportStatus, which talks to the internet, is never among them.
 */
export const ANSWERERS = [
  'DeploymentsEvents',
  'OperatorApiHandler',
  'PipelineStepsdeployrelease',
  'PipelineStepswaitturn',
];

/** Who may answer a waiting task: the policies that hold SendTaskSuccess or SendTaskFailure, by their role's name. */
export function taskAnswerers(statements: readonly AllowStatement[]): string[] {
  return [
    ...new Set(
      [...holdersOf(statements, 'states:SendTaskSuccess'), ...holdersOf(statements, 'states:SendTaskFailure')].map(
        (id) => id.replace(/Role.*$/, ''),
      ),
    ),
  ].sort();
}

/** The statements that let someone invoke the operator API's function (by its logical id, or any function). */
export function operatorFunctionInvokers(
  statements: readonly AllowStatement[],
  handlerIds: readonly string[],
): AllowStatement[] {
  return statements.filter(
    (s) =>
      (s.notAction || s.actions.some((a) => covers(a, 'lambda:InvokeFunction'))) &&
      s.resources.some((r) => {
        const text = JSON.stringify(r);
        return (
          r === '*' ||
          /function:\*?"?$|function:\*/.test(text) ||
          handlerIds.some((id) => text.includes(`"${id}"`) || text.includes(`${id}.`))
        );
      }),
  );
}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: PolicyProps & { readonly Role?: { readonly 'Fn::GetAtt'?: [string, string] } };
}

/** One Allow statement of a function's role, with its condition. */
export interface FunctionStatement {
  readonly actions: string[];
  readonly resources: unknown[];
  readonly condition?: unknown;
}

/**
 * The Allow statements of each Lambda function's role (its inline policies and the policies
 * attached to it), by the function's folder under `functions/` (its `gantry:function` metadata).
 */
export function statementsByFunction(
  gantry: Pick<GantryApp, 'app'>,
  metadataKey: string,
): Map<string, FunctionStatement[]> {
  const out = new Map<string, FunctionStatement[]>();
  for (const stack of gantry.app.synth().stacks) {
    const resources = (stack.template as { Resources: Record<string, TemplateResource> }).Resources;
    const entries = Object.entries(resources);
    for (const [, fn] of entries) {
      const name = fn.Metadata?.[metadataKey];
      const roleId = fn.Properties?.Role?.['Fn::GetAtt']?.[0];
      if (fn.Type !== 'AWS::Lambda::Function' || typeof name !== 'string' || roleId === undefined) continue;
      const documents = [
        ...(resources[roleId]?.Properties?.Policies ?? []).map((p) => p.PolicyDocument),
        ...entries
          .filter(([, p]) => p.Type === 'AWS::IAM::Policy' && p.Properties?.Roles?.some((r) => r.Ref === roleId))
          .map(([, p]) => p.Properties?.PolicyDocument),
      ];
      const statements = documents.flatMap((doc) =>
        (doc?.Statement ?? [])
          .filter((s) => s.Effect === 'Allow')
          .map((s) => {
            const { Condition } = s as { Condition?: unknown };
            return {
              actions: [s.Action ?? []].flat(),
              resources: [s.Resource ?? '*'].flat(),
              ...(Condition === undefined ? {} : { condition: Condition }),
            };
          }),
      );
      out.set(name, [...(out.get(name) ?? []), ...statements]);
    }
  }
  return out;
}

/** The actions a function's role allows, each once, sorted. */
export function actionsOf(statements: readonly FunctionStatement[] | undefined): string[] {
  return [...new Set((statements ?? []).flatMap((s) => s.actions))].sort();
}

interface LambdaResource {
  readonly Type: string;
  readonly Metadata?: Record<string, string>;
  readonly Properties?: { readonly Role?: { readonly 'Fn::GetAtt'?: string[] } };
}

/** Every role of the synthesized app with the functions (folder names) that run as it, and IAM's decision on a request. */
function rolesOf(gantry: GantryApp) {
  const resolver = resolvedTemplates(gantry);
  const iam = templateIam(resolver);
  // Each function by its folder under functions/ (the template's metadata), keyed by its role's name.
  const functionsOf = new Map<string, string[]>();
  for (const stack of gantry.app.synth().stacks) {
    const resources = (stack.template as { Resources: Record<string, LambdaResource> }).Resources;
    for (const r of Object.values(resources)) {
      const folder = r.Metadata?.[FUNCTION_METADATA_KEY];
      const roleId = r.Properties?.Role?.['Fn::GetAtt']?.[0];
      if (r.Type !== 'AWS::Lambda::Function' || folder === undefined || roleId === undefined) continue;
      const roleName = resolver.ref(stack.stackName, roleId);
      functionsOf.set(roleName, [...(functionsOf.get(roleName) ?? []), folder]);
    }
  }
  const roles = [...iam.roles.entries()].map(([key, role]) => ({ ...role, functions: functionsOf.get(key) ?? [] }));
  /** The functions (or, for a role no function runs as, the role) allowed `action` on `resource` with `context`. */
  return (action: string, resource: string, context: Record<string, readonly string[]>) =>
    roles
      .filter(
        (role) =>
          evaluate({ action, resource, context }, role.statements, undefined, {
            arn: role.roleArn,
            account: '123456789012',
          }).decision === 'allow',
      )
      .flatMap((r) => (r.functions.length > 0 ? r.functions : [r.roleName]))
      .sort();
}

/**
 * Who may write what in the runs table, as IAM would decide it on the synthesized policies: each
 * function (by name, without `gantry-`) whose role allows `operation` naming `attributes`
 * (`dynamodb:Attributes`; undefined: a request that names none).
 */
export function runsTableWriters(gantry: GantryApp) {
  const allowedTo = rolesOf(gantry);
  const RUNS = 'arn:aws:dynamodb:eu-west-1:123456789012:table/gantry-runs';
  const allowed = (operation: string, attributes: readonly string[] | undefined) =>
    allowedTo(`dynamodb:${operation}`, RUNS, attributes === undefined ? {} : { 'dynamodb:Attributes': attributes });
  return {
    /** The functions allowed `operation` naming `attributes`, sorted. */
    allowed,
    /** The functions allowed to update a run's `attributes` (with its key and `updatedAt`). */
    updaters: (...attributes: string[]) => allowed('UpdateItem', ['runId', 'updatedAt', ...attributes]),
  };
}

/** The functions that may put an event of `source` (and `detailType`) on the gantry bus, as IAM would decide. */
export function busPublishers(gantry: GantryApp) {
  const allowedTo = rolesOf(gantry);
  return (source: string, detailType: string) =>
    allowedTo('events:PutEvents', 'arn:aws:events:eu-west-1:123456789012:event-bus/gantry', {
      'events:source': [source],
      'events:detail-type': [detailType],
    });
}
