/** How a Task resource is bound locally, decided once per state when the definition is loaded. */
export type TaskResource =
  /** `arn:aws:states:::lambda:invoke[.waitForTaskToken]`: the optimized Lambda integration. */
  | { readonly kind: 'lambda-invoke'; readonly arn: string; readonly waitForTaskToken: boolean }
  /** A bare function ARN (the legacy form): the function gets the effective input, its payload is the result. */
  | { readonly kind: 'lambda-function'; readonly arn: string; readonly functionArn: string }
  /** Any other `arn:aws:states:::service:action[.sync|.waitForTaskToken]`, served by a registered handler. */
  | {
      readonly kind: 'integration';
      readonly arn: string;
      /** The resource without `.waitForTaskToken`: the handler that starts the work. */
      readonly base: string;
      readonly waitForTaskToken: boolean;
    };

/** The `resourceType`/`resource` pair history events carry (`lambda` / `invoke.waitForTaskToken`). */
export interface ResourceNames {
  readonly resourceType: string;
  readonly resource: string;
}

const FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9$_-]+)?$/;
const SERVICE_ARN =
  /^arn:aws[a-z-]*:states:::((?:aws-sdk:)?[a-z0-9-]+):([A-Za-z0-9]+)((?:\.sync(?::2)?)|\.waitForTaskToken)?$/;
const WAIT_FOR_TOKEN = '.waitForTaskToken';

/**
 * Service integrations the runtime binds after the emulator starts (the local build runner and
 * deployer, the local bus): accepted when a definition is loaded, and answering States.TaskFailed
 * "not supported yet" until a handler is registered.
 */
const LATER_SERVICES = new Set(['codebuild', 'aws-sdk:codebuild', 'codedeploy', 'aws-sdk:codedeploy', 'events']);

/** Classifies a Task's Resource, or says why local mode cannot bind it. */
export function classifyResource(
  arn: string,
  registered: (resource: string) => boolean,
): { resource: TaskResource } | { reason: string } {
  if (FUNCTION_ARN.test(arn)) return { resource: { kind: 'lambda-function', arn, functionArn: arn } };
  const match = SERVICE_ARN.exec(arn);
  if (match === null) return { reason: `Task resource ${arn} cannot be bound to anything local` };
  const [, service = '', , suffix] = match;
  const waitForTaskToken = suffix === WAIT_FOR_TOKEN;
  const base = waitForTaskToken ? arn.slice(0, -WAIT_FOR_TOKEN.length) : arn;
  if (service === 'lambda') {
    if (base.endsWith(':invoke') && suffix !== '.sync' && suffix !== '.sync:2') {
      return { resource: { kind: 'lambda-invoke', arn, waitForTaskToken } };
    }
    return { reason: `Task resource ${arn} is not a Lambda integration Step Functions offers` };
  }
  if (registered(arn) || registered(base) || LATER_SERVICES.has(service)) {
    return { resource: { kind: 'integration', arn, base, waitForTaskToken } };
  }
  return { reason: `Task resource ${arn} has no local integration (supported: Lambda; later: CodeBuild, CodeDeploy)` };
}

/** How AWS names a resource in TaskScheduled and its siblings. */
export function resourceNames(arn: string): ResourceNames {
  const match = SERVICE_ARN.exec(arn);
  if (match === null) return { resourceType: 'lambda', resource: arn };
  const [, service = '', action = '', suffix = ''] = match;
  return { resourceType: service, resource: `${action}${suffix}` };
}
