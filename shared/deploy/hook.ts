import {
  type CodeDeployClient,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import * as z from 'zod/mini';
import type { LifecycleHookEvent } from '../../events';

const LambdaAppSpecSchema = z.object({
  Resources: z
    .array(
      z.record(
        z.string(),
        z.object({ Properties: z.object({ Name: z.string(), Alias: z.string(), TargetVersion: z.string() }) }),
      ),
    )
    .check(z.minLength(1)),
});

/** The request a health check sends the new version: a function URL payload (v2) for `GET /health`. */
export function healthRequest(path = '/health') {
  return {
    version: '2.0',
    rawPath: path,
    rawQueryString: '',
    headers: { 'user-agent': 'gantry-traffic-hook' },
    requestContext: { http: { method: 'GET', path, sourceIp: '127.0.0.1' } },
    isBase64Encoded: false,
  };
}

export interface HookResult {
  readonly status: 'Succeeded' | 'Failed';
  readonly detail: string;
}

/**
 * A pre- or post-traffic hook: calls the deployment's target version on `/health` and tells
 * CodeDeploy whether the release may go on. A version that errs or answers other than 200 fails it.
 */
export async function runTrafficHook(
  clients: { codeDeploy: CodeDeployClient; lambda: LambdaClient },
  event: LifecycleHookEvent,
): Promise<HookResult> {
  const result = await check(clients, event.DeploymentId).catch(
    (error: unknown): HookResult => ({
      status: 'Failed',
      detail: `health check could not run: ${error instanceof Error ? error.message : String(error)}`,
    }),
  );
  await clients.codeDeploy.send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: result.status,
    }),
  );
  return result;
}

async function check(clients: { codeDeploy: CodeDeployClient; lambda: LambdaClient }, deploymentId: string) {
  const { deploymentInfo } = await clients.codeDeploy.send(new GetDeploymentCommand({ deploymentId }));
  const content = deploymentInfo?.revision?.appSpecContent?.content;
  if (content === undefined) return { status: 'Failed' as const, detail: 'the deployment has no AppSpec content' };
  const resource = Object.values(LambdaAppSpecSchema.parse(JSON.parse(content)).Resources[0] ?? {})[0];
  if (resource === undefined) return { status: 'Failed' as const, detail: 'the AppSpec names no function' };
  const { Name, TargetVersion } = resource.Properties;
  const out = await clients.lambda.send(
    new InvokeCommand({
      FunctionName: Name,
      Qualifier: TargetVersion,
      Payload: Buffer.from(JSON.stringify(healthRequest())),
    }),
  );
  if (out.FunctionError)
    return { status: 'Failed' as const, detail: `${Name}:${TargetVersion} threw (${out.FunctionError})` };
  const answer = JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8') || '{}') as {
    statusCode?: number;
  };
  return answer.statusCode === 200
    ? { status: 'Succeeded' as const, detail: `${Name}:${TargetVersion} /health answered 200` }
    : {
        status: 'Failed' as const,
        detail: `${Name}:${TargetVersion} /health answered ${answer.statusCode ?? 'nothing'}`,
      };
}
