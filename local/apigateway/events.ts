import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { ApiSpec, RouteSpec } from '../template/inventory';

export interface MatchedRoute {
  readonly api: ApiSpec;
  readonly route: RouteSpec;
  readonly stage: string;
  readonly pathParameters: Readonly<Record<string, string>>;
}

interface CompiledRoute {
  readonly api: ApiSpec;
  readonly route: RouteSpec;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** Turns `/webhooks/{provider}` into a matcher; `{name+}` is a greedy proxy segment. */
function compile(api: ApiSpec, route: RouteSpec): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((segment) => {
      const param = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(param[1] ?? '');
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { api, route, pattern: new RegExp(`^${source || '/'}$`), names };
}

/** Finds the route for a request path, with or without the stage prefix a deployed URL has. */
export class RouteTable {
  private readonly routes: CompiledRoute[];

  constructor(apis: readonly ApiSpec[]) {
    this.routes = apis.flatMap((api) => api.routes.map((route) => compile(api, route)));
  }

  match(method: string, path: string): MatchedRoute | undefined {
    for (const r of this.routes) {
      const stage = r.api.stages.find((s) => path.startsWith(`/${s}/`));
      const local = stage === undefined ? path : path.slice(stage.length + 1);
      const m = r.pattern.exec(local);
      if (m && (r.route.method === method || r.route.method === 'ANY')) {
        const pathParameters = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
        return { api: r.api, route: r.route, stage: stage ?? r.api.stages[0] ?? 'local', pathParameters };
      }
    }
    return undefined;
  }

  /** Every route, for the start-up banner. */
  list(): { method: string; path: string }[] {
    return this.routes.map((r) => ({ method: r.route.method, path: r.route.path }));
  }
}

/** Whether API Gateway would hand this content type to Lambda base64-encoded. */
export function isBinary(api: ApiSpec, contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return api.binaryMediaTypes.some(
    (b) => b === '*/*' || b.toLowerCase() === type || (b.endsWith('/*') && type.startsWith(b.slice(0, -1))),
  );
}

/** The REST API (v1) proxy event API Gateway would build for this request. */
export function proxyEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  matched: MatchedRoute,
  principal?: string,
): APIGatewayProxyEvent {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] ?? '';
    const value = req.rawHeaders[i + 1] ?? '';
    headers[name] = value;
    multiValueHeaders[name] = [...(multiValueHeaders[name] ?? []), value];
  }
  const query = [...url.searchParams.keys()];
  const binary = isBinary(matched.api, req.headers['content-type']);
  return {
    resource: matched.route.path,
    path: url.pathname,
    httpMethod: req.method ?? 'GET',
    headers,
    multiValueHeaders,
    queryStringParameters: query.length
      ? Object.fromEntries(query.map((k) => [k, url.searchParams.get(k) ?? '']))
      : null,
    multiValueQueryStringParameters: query.length
      ? Object.fromEntries(query.map((k) => [k, url.searchParams.getAll(k)]))
      : null,
    pathParameters: Object.keys(matched.pathParameters).length ? { ...matched.pathParameters } : null,
    stageVariables: null,
    requestContext: {
      accountId: '000000000000',
      apiId: matched.api.id,
      stage: matched.stage,
      requestId: randomUUID(),
      httpMethod: req.method ?? 'GET',
      path: `/${matched.stage}${matched.route.path}`,
      resourcePath: matched.route.path,
      resourceId: 'local',
      protocol: `HTTP/${req.httpVersion}`,
      requestTimeEpoch: Date.now(),
      domainName: req.headers.host ?? 'localhost',
      identity: {
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? null,
        userArn: principal ?? null,
        caller: principal ?? null,
      },
      authorizer: null,
    } as unknown as APIGatewayProxyEvent['requestContext'],
    body: body.length === 0 ? null : binary ? body.toString('base64') : body.toString('utf8'),
    isBase64Encoded: binary && body.length > 0,
  };
}

/** The header local callers name their IAM identity with, standing in for a SigV4 signature. */
export const LOCAL_PRINCIPAL_HEADER = 'x-gantry-principal';

/**
 * The caller of an IAM-authorized route, as the IAM authorizer would establish it: locally, an
 * ARN or a bare name (`alice` → `arn:aws:iam::000000000000:user/alice`) from X-Gantry-Principal.
 */
export function localPrincipal(req: IncomingMessage): string | undefined {
  const raw = req.headers[LOCAL_PRINCIPAL_HEADER];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (!value) return undefined;
  return localPrincipalArn(value);
}

/** An identity's ARN locally: an ARN as given, a bare name as the IAM user of that name. */
export function localPrincipalArn(value: string): string {
  return value.startsWith('arn:') ? value : `arn:aws:iam::000000000000:user/${value}`;
}
