/** A CloudFormation template as `cdk synth` writes it; only the parts local mode reads. */
export interface CfnTemplate {
  readonly Resources?: Readonly<Record<string, CfnResource>>;
  readonly Outputs?: Readonly<
    Record<string, { readonly Value: unknown; readonly Export?: { readonly Name: unknown } }>
  >;
  readonly Conditions?: Readonly<Record<string, unknown>>;
  readonly Mappings?: Readonly<Record<string, Record<string, Record<string, unknown>>>>;
  readonly Parameters?: Readonly<Record<string, { readonly Default?: unknown }>>;
}

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Readonly<Record<string, unknown>>;
  readonly Metadata?: Readonly<Record<string, unknown>>;
  readonly Condition?: string;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** The account the stack is pinned to (`env.account`), when it is a concrete one. */
  readonly accountId?: string;
}

/** Where local resources live: the names and ARNs the template's references resolve to. */
export interface LocalEnvironment {
  readonly region: string;
  readonly accountId: string;
  /** The edge endpoint; SQS queue URLs point at it. */
  readonly edgeEndpoint: string;
}

/** The template uses something the resolver cannot evaluate locally. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}
