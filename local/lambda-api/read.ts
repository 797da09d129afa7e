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
    accepts: (req: IncomingMessage, url: URL) =>
      req.method === 'GET' && (url.pathname === PREFIX || url.pathname === `${PREFIX}/` || named(url) !== undefined),
    handle: async (_req: IncomingMessage, res: ServerResponse, url: URL) => {
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
