import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeRestService } from '../edge/server';
import type { FunctionSpec } from '../template/inventory';
import type { ServiceSpec } from './types';

const PREFIX = '/2015-03-31/functions';

/**
 * Lambda's ListFunctions over every local function, and GetFunction(Configuration) of the control
 * plane's own functions (the service functions' are the Lambda API's, with their versions), so
 * `aws lambda list-functions` / `get-function` read local mode as they read an account.
 */
export function lambdaReadApi(options: {
  readonly functions: readonly FunctionSpec[];
  readonly services: readonly ServiceSpec[];
  readonly accountId: string;
}): EdgeRestService {
  const byName = new Map(options.functions.flatMap((f) => [[f.name, f] as const, [f.arn, f] as const]));
  const named = (url: URL) => {
    const [encoded, resource, ...rest] = url.pathname.slice(PREFIX.length + 1).split('/');
    if (rest.length > 0 || (resource !== undefined && resource !== 'configuration')) return undefined;
    const fn = byName.get(decodeURIComponent(encoded ?? ''));
    return fn === undefined ? undefined : { fn, resource };
  };
  return {
    name: 'Lambda (read)',
    signingName: 'lambda',
    accepts: (req: IncomingMessage, url: URL) =>
      req.method === 'GET' &&
      (url.pathname === PREFIX ||
        url.pathname === `${PREFIX}/` ||
        named(url) !== undefined ||
        EVENT_INVOKE_CONFIG.test(url.pathname)),
    handle: async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
      const invokeConfig = EVENT_INVOKE_CONFIG.exec(url.pathname);
      if (invokeConfig !== null)
        return eventInvokeConfig(res, byName.get(decodeURIComponent(invokeConfig[1] ?? '')), url);
      const found = named(url);
      if (found === undefined) {
        const all = [
          ...options.functions.map((f) => configuration(f, options.accountId)),
          ...options.services.map((s) => serviceConfiguration(s, options.accountId)),
        ].sort((a, b) => (a.FunctionName < b.FunctionName ? -1 : 1));
        return send(res, { Functions: all });
      }
      const config = configuration(found.fn, options.accountId);
      send(res, found.resource === 'configuration' ? config : { Configuration: config });
    },
  };
}

/** GetFunctionEventInvokeConfig's path (`/2019-09-25/functions/<name or ARN>/event-invoke-config`). */
export const EVENT_INVOKE_CONFIG = /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/;

/**
 * GetFunctionEventInvokeConfig of a control-plane function's `$LATEST`, from its template: how
 * Lambda retries its asynchronous invocations and where it sends those that fail, which
 * `gantry dlq redrive` checks before it invokes the function again.
 */
function eventInvokeConfig(res: ServerResponse, fn: FunctionSpec | undefined, url: URL): void {
  const qualifier = url.searchParams.get('Qualifier') ?? '$LATEST';
  if (fn === undefined || fn.asyncInvoke === undefined || qualifier !== '$LATEST') {
    const what =
      fn === undefined ? 'Function' : `The function ${fn.arn}:${qualifier} doesn't have an EventInvokeConfig`;
    res
      .writeHead(404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' })
      .end(JSON.stringify({ Type: 'User', message: fn === undefined ? `${what} not found` : what }));
    return;
  }
  const { maximumRetryAttempts, onFailure } = fn.asyncInvoke;
  send(res, {
    FunctionArn: `${fn.arn}:$LATEST`,
    MaximumRetryAttempts: maximumRetryAttempts,
    DestinationConfig: { OnSuccess: {}, OnFailure: onFailure === undefined ? {} : { Destination: onFailure } },
  });
}

function configuration(fn: FunctionSpec, accountId: string) {
  return {
    FunctionName: fn.name,
    FunctionArn: fn.arn,
    Runtime: 'nodejs20.x',
    Role: `arn:aws:iam::${accountId}:role/${fn.name}-local`,
    Handler: `handler.${fn.handlerExport}`,
    Timeout: fn.timeoutSeconds,
    MemorySize: fn.memoryMb,
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

function serviceConfiguration(s: ServiceSpec, accountId: string) {
  return {
    FunctionName: s.name,
    FunctionArn: s.arn,
    Runtime: s.runtime,
    Role: `arn:aws:iam::${accountId}:role/${s.name}-local`,
    Handler: `${s.handlerModule}.${s.handlerExport}`,
    Timeout: s.timeoutSeconds,
    MemorySize: s.memoryMb,
    Version: '$LATEST',
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
  };
}

function send(res: ServerResponse, body: unknown): void {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}
