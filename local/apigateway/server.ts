import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IdentityRegistry } from '../edge/identity';
import { loopbackRefusal } from '../edge/loopback';
import { closeServer, listen } from '../edge/server';
import type { LambdaInvoker } from '../lambda/types';
import type { ApiSpec } from '../template/inventory';
import { localPrincipal, proxyEvent, RouteTable } from './events';

/** API Gateway's own payload limit. */
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface FrontDoorOptions {
  readonly apis: readonly ApiSpec[];
  readonly lambda: LambdaInvoker;
  readonly host?: string;
  /** @default 4000 */
  readonly port?: number;
  /** A local app served under a path prefix ahead of the API routes (the web console at /console/). */
  readonly mount?: { readonly prefix: string; handle(req: IncomingMessage, res: ServerResponse): void };
  /** Called once per answered request (for the demo's and benchmark's counters). */
  readonly onRequest?: (info: { method: string; path: string; status: number; ms: number }) => void;
  /**
   * The session's token: an IAM-authorized route honours X-Gantry-Principal only from a caller
   * that also sends `Authorization: Bearer <token>`. @default none (any loopback caller may name a principal)
   */
  readonly identity?: IdentityRegistry;
}

export interface RunningFrontDoor {
  readonly url: string;
  readonly port: number;
  readonly routes: RouteTable;
  close(): Promise<void>;
}

/**
 * The template's REST API routes on loopback: each request becomes the proxy event API Gateway
 * would send, the same handler runs in its worker, and its result becomes the HTTP response.
 */
export async function startFrontDoor(options: FrontDoorOptions): Promise<RunningFrontDoor> {
  const routes = new RouteTable(options.apis);
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    const started = performance.now();
    const refused = loopbackRefusal(req, (server.address() as AddressInfo).port, host);
    if (refused !== undefined) return send(res, refused.status, { message: refused.reason });
    if (options.mount && mounted(req.url ?? '/', options.mount.prefix)) return options.mount.handle(req, res);
    void serve(req, res, routes, options)
      .catch(() => send(res, 500, { message: 'Internal server error' }))
      .finally(() =>
        options.onRequest?.({
          method: req.method ?? '',
          path: req.url ?? '',
          status: res.statusCode,
          ms: performance.now() - started,
        }),
      );
  });
  server.keepAliveTimeout = 60_000;
  await listen(server, host, options.port ?? 4000);
  const { port } = server.address() as AddressInfo;
  return { url: `http://${host}:${port}`, port, routes, close: () => closeServer(server) };
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  routes: RouteTable,
  { lambda, identity }: FrontDoorOptions,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { message: 'Request Too Long' });
  const matched = routes.match(req.method ?? 'GET', url.pathname);
  if (matched === undefined) {
    if (req.method === 'GET' && url.pathname === '/') return send(res, 200, { routes: routes.list() });
    // What API Gateway answers for a path or method it has no route for.
    return send(res, 403, { message: 'Missing Authentication Token' });
  }
  const missing = matched.route.requiredPathParameters.filter((p) => !matched.pathParameters[p]);
  if (missing.length > 0)
    return send(res, 400, { message: `Missing required request parameters: [${missing.join(', ')}]` });
  const principal = matched.route.authorization === 'AWS_IAM' ? localPrincipal(req) : undefined;
  if (matched.route.authorization === 'AWS_IAM' && principal === undefined)
    return send(res, 403, { message: 'Missing Authentication Token' });
  if (principal !== undefined && identity !== undefined && !identity.hasToken(req.headers)) {
    return send(res, 403, {
      message:
        'Missing Authentication Token: X-Gantry-Principal is honoured only with Authorization: Bearer <token from .gantry/runtime.json> (the gantry CLI sends it)',
    });
  }
  const outcome = await lambda.invoke(matched.route.functionArn, proxyEvent(req, url, body, matched, principal));
  if (!outcome.ok)
    return send(res, outcome.errorType === 'Sandbox.Timedout' ? 504 : 502, { message: 'Internal server error' });
  respond(res, outcome.payload);
}

/** Maps a Lambda proxy result to HTTP; a malformed one is a 502, as API Gateway answers. */
function respond(res: ServerResponse, payload: unknown): void {
  const result = payload as {
    statusCode?: number;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    body?: string;
    isBase64Encoded?: boolean;
  } | null;
  if (result === null || typeof result.statusCode !== 'number') {
    send(res, 502, { message: 'Internal server error' });
    return;
  }
  const headers: Record<string, string | string[]> = { ...(result.headers ?? {}) };
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) headers[name] = values;
  const body =
    result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode, headers).end(body);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mounted(url: string, prefix: string): boolean {
  return url === prefix || url.startsWith(`${prefix}/`) || url.startsWith(`${prefix}?`);
}
