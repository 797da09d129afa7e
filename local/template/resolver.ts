import { nameProperty, type PhysicalIdentity, physicalIdentity } from './names';
import { type CfnResource, type LocalEnvironment, type StackTemplate, TemplateError } from './types';

/** Marks a value `AWS::NoValue` removes from its parent. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Evaluates CloudFormation intrinsics against local names: `Ref`, `Fn::GetAtt`, `Fn::Join`,
 * `Fn::Sub`, `Fn::ImportValue`, `Fn::Select`, `Fn::Split`, `Fn::If` and conditions,
 * `Fn::FindInMap`, `Fn::Base64`, `Fn::ToJsonString`, and the pseudo parameters. What the
 * runtime reads (environments, definitions, patterns) comes out as plain JSON.
 */
export class TemplateResolver {
  private readonly stacks: Map<string, StackTemplate>;
  private readonly identities = new Map<string, PhysicalIdentity>();
  private readonly exports = new Map<string, { stack: string; value: unknown }>();
  private readonly resolving = new Set<string>();

  constructor(
    stacks: readonly StackTemplate[],
    readonly env: LocalEnvironment,
  ) {
    this.stacks = new Map(stacks.map((s) => [s.stackName, s]));
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        if (output.Export)
          this.exports.set(String(this.resolve(stack.stackName, output.Export.Name)), {
            stack: stack.stackName,
            value: output.Value,
          });
      }
    }
  }

  /** Every resource of every stack, with its stack name and logical id. */
  resources(type?: string): { stack: string; logicalId: string; resource: CfnResource }[] {
    return [...this.stacks.values()].flatMap((s) =>
      Object.entries(s.template.Resources ?? {})
        .filter(([, r]) => type === undefined || r.Type === type)
        .filter(([, r]) => r.Condition === undefined || this.condition(s.stackName, r.Condition))
        .map(([logicalId, resource]) => ({ stack: s.stackName, logicalId, resource })),
    );
  }

  /** A resource's properties with every intrinsic evaluated. */
  properties(stack: string, logicalId: string): Record<string, unknown> {
    return (this.resolve(stack, this.resource(stack, logicalId).Properties ?? {}) as Record<string, unknown>) ?? {};
  }

  /** What `Ref` of a resource gives locally. */
  ref(stack: string, logicalId: string): string {
    return this.identity(stack, logicalId).ref;
  }

  /** What `Fn::GetAtt` of a resource gives locally. */
  attribute(stack: string, logicalId: string, attribute: string): string {
    const identity = this.identity(stack, logicalId);
    const value = identity.attributes[attribute];
    if (value === undefined) {
      throw new TemplateError(
        `${stack}/${logicalId}: attribute ${attribute} of ${this.resource(stack, logicalId).Type} is not known to local mode`,
      );
    }
    return value;
  }

  /** Evaluates `value` in the context of `stack`. */
  resolve(stack: string, value: unknown): unknown {
    const out = this.evaluate(stack, value);
    return out === NO_VALUE ? undefined : out;
  }

  private evaluate(stack: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.evaluate(stack, v)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value);
    const [first] = entries;
    if (
      entries.length === 1 &&
      first &&
      (first[0] === 'Ref' || first[0].startsWith('Fn::') || first[0] === 'Condition')
    ) {
      return this.intrinsic(stack, first[0], first[1]);
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.evaluate(stack, v);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private intrinsic(stack: string, fn: string, arg: unknown): unknown {
    switch (fn) {
      case 'Ref':
        return this.refOf(stack, String(arg));
      case 'Fn::GetAtt': {
        const [id, attr] = Array.isArray(arg) ? arg.map(String) : String(arg).split(/\.(.*)/s);
        return this.attribute(stack, String(id), String(this.evaluate(stack, attr)));
      }
      case 'Fn::Join': {
        const [sep, parts] = arg as [string, unknown[]];
        return (this.evaluate(stack, parts) as unknown[]).map(String).join(sep);
      }
      case 'Fn::Sub':
        return this.sub(stack, arg);
      case 'Fn::ImportValue':
        return this.importValue(String(this.evaluate(stack, arg)));
      case 'Fn::Select': {
        const [index, list] = arg as [unknown, unknown];
        return (this.evaluate(stack, list) as unknown[])[Number(this.evaluate(stack, index))];
      }
      case 'Fn::Split': {
        const [sep, text] = arg as [string, unknown];
        return String(this.evaluate(stack, text)).split(sep);
      }
      case 'Fn::If': {
        const [name, yes, no] = arg as [string, unknown, unknown];
        return this.evaluate(stack, this.condition(stack, name) ? yes : no);
      }
      case 'Fn::Equals': {
        const [a, b] = arg as [unknown, unknown];
        return JSON.stringify(this.evaluate(stack, a)) === JSON.stringify(this.evaluate(stack, b));
      }
      case 'Fn::Not':
        return !(this.evaluate(stack, (arg as unknown[])[0]) as boolean);
      case 'Fn::And':
        return (arg as unknown[]).every((c) => this.evaluate(stack, c) === true);
      case 'Fn::Or':
        return (arg as unknown[]).some((c) => this.evaluate(stack, c) === true);
      case 'Condition':
        return this.condition(stack, String(arg));
      case 'Fn::FindInMap': {
        const [map, top, second] = (arg as unknown[]).map((a) => String(this.evaluate(stack, a)));
        return this.stack(stack).template.Mappings?.[String(map)]?.[String(top)]?.[String(second)];
      }
      case 'Fn::Base64':
        return Buffer.from(String(this.evaluate(stack, arg))).toString('base64');
      case 'Fn::ToJsonString':
        return JSON.stringify(this.evaluate(stack, arg));
      case 'Fn::GetAZs':
        return [`${this.env.region}a`, `${this.env.region}b`, `${this.env.region}c`];
      default:
        throw new TemplateError(`${stack}: ${fn} is not supported by local mode`);
    }
  }

  private refOf(stack: string, name: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.env.region;
      case 'AWS::AccountId':
        return this.accountOf(stack);
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.env.region}:${this.accountOf(stack)}:stack/${stack}/local`;
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameter = this.stack(stack).template.Parameters?.[name];
    if (parameter !== undefined) return parameter.Default;
    return this.ref(stack, name);
  }

  private sub(stack: string, arg: unknown): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    const resolvedVars = this.evaluate(stack, vars) as Record<string, unknown>;
    return text.replace(/\$\{(!?)([^}]+)\}/g, (_, literal: string, name: string) => {
      if (literal === '!') return `\${${name}}`;
      if (name in resolvedVars) return String(resolvedVars[name]);
      const dot = name.indexOf('.');
      if (dot > 0 && !name.startsWith('AWS::')) return this.attribute(stack, name.slice(0, dot), name.slice(dot + 1));
      return String(this.refOf(stack, name));
    });
  }

  private importValue(name: string): unknown {
    const found = this.exports.get(name);
    if (found === undefined) throw new TemplateError(`no stack exports ${name}`);
    return this.resolve(found.stack, found.value);
  }

  private condition(stack: string, name: string): boolean {
    const definition = this.stack(stack).template.Conditions?.[name];
    if (definition === undefined) throw new TemplateError(`${stack}: no condition named ${name}`);
    return this.evaluate(stack, definition) === true;
  }

  private identity(stack: string, logicalId: string): PhysicalIdentity {
    const key = `${stack}/${logicalId}`;
    const known = this.identities.get(key);
    if (known) return known;
    if (this.resolving.has(key)) throw new TemplateError(`${key}: its name depends on itself`);
    this.resolving.add(key);
    try {
      const resource = this.resource(stack, logicalId);
      const property = nameProperty(resource.Type);
      const explicit = property === undefined ? undefined : resource.Properties?.[property];
      const identity = physicalIdentity(
        stack,
        logicalId,
        resource,
        { ...this.env, accountId: this.accountOf(stack) },
        explicit === undefined ? undefined : String(this.resolve(stack, explicit)),
      );
      this.identities.set(key, identity);
      return identity;
    } finally {
      this.resolving.delete(key);
    }
  }

  /** The account a stack's resources live in: the one it is pinned to (a `GantryTarget-<account>` stack's), else the local account. */
  accountOf(stack: string): string {
    return this.stack(stack).accountId ?? this.env.accountId;
  }

  private resource(stack: string, logicalId: string): CfnResource {
    const resource = this.stack(stack).template.Resources?.[logicalId];
    if (resource === undefined) throw new TemplateError(`${stack} has no resource ${logicalId}`);
    return resource;
  }

  private stack(name: string): StackTemplate {
    const stack = this.stacks.get(name);
    if (stack === undefined) throw new TemplateError(`no stack named ${name}`);
    return stack;
  }
}
