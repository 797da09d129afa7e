import {
  type EventBridgeClient,
  ListTargetsByRuleCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-eventbridge';
import {
  GetFunctionEventInvokeConfigCommand,
  InvokeCommand,
  type LambdaClient,
  ResourceNotFoundException as LambdaNotFound,
} from '@aws-sdk/client-lambda';
import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { AsyncInvokeConfigs, AsyncInvoker } from './invocations';
import type { RuleDirectory, RuleTarget } from './triggers';

/** EventBridge rules, read with ListTargetsByRule. */
export class EventBridgeRuleDirectory implements RuleDirectory {
  constructor(private readonly client: EventBridgeClient) {}

  async targetsOf(ruleArn: string): Promise<readonly RuleTarget[] | undefined> {
    const rule = ruleOf(ruleArn);
    if (rule === undefined) return undefined;
    const targets: RuleTarget[] = [];
    let next: string | undefined;
    try {
      do {
        const out = await this.client.send(
          new ListTargetsByRuleCommand({ Rule: rule.name, EventBusName: rule.bus, NextToken: next }),
        );
        for (const t of out.Targets ?? []) {
          if (t.Id === undefined || t.Arn === undefined) continue;
          targets.push({
            id: t.Id,
            arn: t.Arn,
            ...(t.Input === undefined ? {} : { input: t.Input }),
            ...(t.InputPath === undefined ? {} : { inputPath: t.InputPath }),
            ...(t.InputTransformer?.InputTemplate === undefined
              ? {}
              : {
                  inputTransformer: {
                    InputTemplate: t.InputTransformer.InputTemplate,
                    ...(t.InputTransformer.InputPathsMap ? { InputPathsMap: t.InputTransformer.InputPathsMap } : {}),
                  },
                }),
            ...(t.DeadLetterConfig?.Arn === undefined ? {} : { deadLetterArn: t.DeadLetterConfig.Arn }),
          });
        }
        next = out.NextToken;
      } while (next !== undefined);
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
    return targets;
  }
}

/** `arn:aws:events:<region>:<account>:rule/[<bus>/]<name>`: the default bus when none is named. */
export function ruleOf(ruleArn: string): { bus: string; name: string } | undefined {
  const match = /^arn:[^:]+:events:[^:]*:\d*:rule\/(?:([^/]+)\/)?([^/]+)$/.exec(ruleArn);
  if (match === null || match[2] === undefined) return undefined;
  return { bus: match[1] ?? 'default', name: match[2] };
}

/** Starts targets as EventBridge does: a state machine's execution, a function invoked asynchronously. */
export class AwsTargetStarter {
  private readonly lambda: LambdaAsync;

  constructor(
    private readonly sfn: SFNClient,
    lambda: LambdaClient,
  ) {
    this.lambda = new LambdaAsync(lambda);
  }

  async start(targetArn: string, input: string): Promise<string> {
    if (targetArn.split(':')[2] === 'states') {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: targetArn, input }));
      return out.executionArn ?? 'an execution';
    }
    return this.lambda.invokeAsync(targetArn, undefined, input);
  }
}

/** Lambda's asynchronous invocations: Invoke with InvocationType Event, and each function's event invoke config. */
export class LambdaAsync implements AsyncInvoker, AsyncInvokeConfigs {
  constructor(private readonly lambda: LambdaClient) {}

  async invokeAsync(functionName: string, qualifier: string | undefined, payload: string): Promise<string> {
    const out = await this.lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        ...(qualifier === undefined ? {} : { Qualifier: qualifier }),
        InvocationType: 'Event',
        Payload: Buffer.from(payload),
      }),
    );
    return `an invocation (request ${out.$metadata.requestId ?? 'unknown'})`;
  }

  async onFailureOf(functionName: string, qualifier: string): Promise<string | undefined> {
    try {
      const out = await this.lambda.send(
        new GetFunctionEventInvokeConfigCommand({ FunctionName: functionName, Qualifier: qualifier }),
      );
      return out.DestinationConfig?.OnFailure?.Destination;
    } catch (error) {
      // No such function, or no event invoke config for it: either way, nothing sends here.
      if (error instanceof LambdaNotFound) return undefined;
      throw error;
    }
  }
}
