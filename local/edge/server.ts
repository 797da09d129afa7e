import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type AwsJsonService, AwsServiceError } from './aws-json';
import type { ServedCall } from './binding';
import { type Authentication, IdentityRegistry, type Principal, refusalCode } from './identity';
import { loopbackRefusal } from './loopback';

/** A plain HTTP route on the edge (local-only introspection such as `/_gantry/health`). */
export type EdgeRoute = (
  request: IncomingMessage,
  url: URL,
  body: Buffer,
) => Promise<{ status: number; body: unknown }>;

/**
 * An AWS API on a REST protocol (Lambda's `/2015-03-31/functions/…`): it claims its requests by
 * path, ahead of the fallback, and answers them itself.
 */
export interface EdgeRestService {
  readonly name: string;
  /** The SigV4 signing name its callers sign for (`lambda`, `sts`, `sns`): a signature for another service is refused. */
  readonly signingName: string;
  accepts(req: IncomingMessage, url: URL): boolean;
  /** `principal`: who the edge authenticated the call as (undefined when no registry checks callers). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL, principal?: Principal): Promise<void>;
}

/** Serves a request no JSON-protocol service claimed (S3's REST API); returns false to let the edge answer. */
export type EdgeFallback = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

export interface EdgeOptions {
  readonly host?: string;
  /** @default 4566 (0 picks a free port) */
  readonly port?: number;
  /** The region local mode serves: a signature scoped to another is refused. @default 'us-east-1' */
  readonly region?: string;
  readonly services?: readonly AwsJsonService[];
  /** Where `DynamoDB_20120810.*` requests are proxied (dynalite). */
  readonly dynamoDbEndpoint?: string;
  /** Local-only routes, by path (operator routes: the token is required when `identity` is set). */
  readonly routes?: Readonly<Record<string, EdgeRoute>>;
  /**
   * Who may call: every AWS call must be SigV4-signed with registered credentials or carry the
   * session token, and every local-only route needs the token. @default none (any loopback caller)
   */
  readonly identity?: IdentityRegistry;
  /** Told one line for each request refused before any service saw it (for the terminal). */
  readonly onRefusal?: (line: string) => void;
}

/**
 * Who may call a local-only route: the operator (the session token), or anyone on loopback for a
 * stand-in of a public endpoint (a Slack or Teams incoming webhook the functions post to).
 */
export type RouteAccess = 'operator' | 'open';

/**
 * What a local service attaches to the edge, by how the edge finds its requests: an AWS JSON
 * protocol emulator (by `X-Amz-Target`), a REST-protocol one (it claims requests by path, ahead
 * of the fallback), a local-only route (only the operator may call it unless `access` is 'open'),
 * where DynamoDB calls are forwarded (with `headers`: a guarded dynalite's secret), or the
 * handler of requests nothing else claimed (S3's REST API).
 */
export type EdgeAttachment =
  | { readonly json: AwsJsonService }
  | { readonly rest: EdgeRestService }
  | { readonly route: string; readonly handler: EdgeRoute; readonly access?: RouteAccess }
  | { readonly dynamoDb: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly fallback: EdgeFallback };

export interface RunningEdge {
  readonly endpoint: string;
  readonly port: number;
  /** The one way to add to the edge: each attachment once its configuration (which may need this edge's URL) is known. */
  attach(...attachments: readonly EdgeAttachment[]): void;
  /** Sets who decides, after authentication, whether a principal may make a call (local IAM). */
  authorizeWith(authorizer: EdgeAuthorizer): void;
  close(): Promise<void>;
}

/**
 * Authorizes an authenticated AWS call; returns true when it refused it, having written the
 * refusal (AWS's AccessDenied for the call's protocol) itself.
 */
export type EdgeAuthorizer = (
  principal: Principal,
  call: {
    method: string;
    url: URL;
    headers: IncomingMessage['headers'];
    body: Buffer | undefined;
    /** The signing name of the service the edge routes the call to (the signature is scoped to it). */
    service: string | undefined;
  },
  res: ServerResponse,
) => boolean;

/** Who answers a request, decided before it is authenticated so that its signature is checked against it. */
type Served =
  | { readonly kind: 'route'; readonly handler: EdgeRoute }
  | { readonly kind: 'json'; readonly target: string }
  | { readonly kind: 'rest'; readonly rest: EdgeRestService }
  | { readonly kind: 's3' };

interface EdgeState {
  readonly byPrefix: Map<string, AwsJsonService>;
  readonly routes: Map<string, EdgeRoute>;
  readonly openRoutes: Set<string>;
  readonly rest: EdgeRestService[];
  readonly identity: IdentityRegistry | undefined;
  readonly host: string;
  readonly region: string;
  readonly onRefusal: ((line: string) => void) | undefined;
  port: number;
  dynamoDbEndpoint: string | undefined;
  dynamoDbHeaders: Readonly<Record<string, string>>;
  /** Keeps connections to dynalite open: a new TCP connection per DynamoDB call cost more than the call. */
  readonly dynamoDbAgent: Agent;
  fallback: EdgeFallback | undefined;
  authorize: EdgeAuthorizer | undefined;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * One loopback endpoint for every AWS API the handlers call, as LocalStack does: requests are
 * routed by `X-Amz-Target`; DynamoDB goes to dynalite; anything else is UnknownOperationException.
 */
export async function startEdge(options: EdgeOptions = {}): Promise<RunningEdge> {
  const host = options.host ?? '127.0.0.1';
  const state: EdgeState = {
    byPrefix: new Map((options.services ?? []).map((s) => [s.targetPrefix, s])),
    routes: new Map(Object.entries(options.routes ?? {})),
    openRoutes: new Set(),
    rest: [],
    identity: options.identity,
    host,
    region: options.region ?? 'us-east-1',
    onRefusal: options.onRefusal,
    port: 0,
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    dynamoDbHeaders: {},
    dynamoDbAgent: new Agent({ keepAlive: true, keepAliveMsecs: 30_000 }),
    fallback: undefined,
    authorize: undefined,
  };
  const server = createServer((req, res) => {
    void route(req, res, state).catch(() => {
      // Never echo an internal error's message: it may carry what a caller should not see.
      sendError(res, 'json', 500, 'InternalFailure', 'the local emulator failed; see the control plane output');
    });
  });
  server.keepAliveTimeout = 60_000;
  await listen(server, host, options.port ?? 4566);
  const { port } = server.address() as AddressInfo;
  state.port = port;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    attach: (...attachments) => {
      for (const attachment of attachments) attach(state, attachment);
    },
    authorizeWith: (authorizer) => {
      state.authorize = authorizer;
    },
    close: async () => {
      await closeServer(server);
      state.dynamoDbAgent.destroy();
    },
  };
}

function attach(state: EdgeState, attachment: EdgeAttachment): void {
  if ('json' in attachment) state.byPrefix.set(attachment.json.targetPrefix, attachment.json);
  else if ('rest' in attachment) state.rest.push(attachment.rest);
  else if ('route' in attachment) {
    state.routes.set(attachment.route, attachment.handler);
    if (attachment.access === 'open') state.openRoutes.add(attachment.route);
    else state.openRoutes.delete(attachment.route);
  } else if ('dynamoDb' in attachment) {
    state.dynamoDbEndpoint = attachment.dynamoDb;
    state.dynamoDbHeaders = attachment.headers ?? {};
  } else state.fallback = attachment.fallback;
}

async function route(req: IncomingMessage, res: ServerResponse, state: EdgeState): Promise<void> {
  const refused = loopbackRefusal(req, state.port, state.host);
  if (refused !== undefined) {
    state.onRefusal?.(`refused ${req.method} ${req.url}: ${refused.reason}`);
    return sendError(res, 'json', refused.status, 'AccessDeniedException', refused.reason);
  }
  const url = new URL(req.url ?? '/', 'http://edge');
  const served = servedBy(req, url, state);
  const target = served.kind === 'json' ? ` (${served.target})` : '';
  if (served.kind === 'json' && req.method !== 'POST') {
    const message = `${served.target} is an AWS JSON-protocol call: send it as a POST, not ${req.method}`;
    state.onRefusal?.(`refused ${req.method} ${url.pathname}${target}: ${message}`);
    return sendError(res, 'json', 400, 'UnknownOperationException', message);
  }
  // S3's REST API streams its body on: its signature covers x-amz-content-sha256, not the body.
  let body: Buffer | undefined;
  if (
    served.kind !== 's3' ||
    (IdentityRegistry.isSigned(req) && header(req, 'x-amz-content-sha256') === undefined && !isPresigned(url))
  ) {
    body = await readBody(req);
    if (body === undefined) return sendError(res, 'json', 413, 'RequestEntityTooLarge', 'request body over 16 MiB');
  }
  const service = signingNameOf(served, state);
  const authn = await authenticate(req, url, body, served, { service, region: state.region }, state);
  if (!authn.ok) {
    state.onRefusal?.(`refused ${req.method} ${url.pathname}${target}: ${authn.message}`);
    return refuse(res, authn, served.kind === 'route' ? 'route' : served.kind === 's3' ? 's3' : 'json');
  }
  const call = { method: req.method ?? 'GET', url, headers: req.headers, body, service };
  if (served.kind !== 'route' && state.authorize?.(authn.principal, call, res)) return;
  return serve(served, req, res, url, body, state.identity === undefined ? undefined : authn.principal, state);
}

/** Who answers: the JSON protocol by X-Amz-Target, a local-only route, a REST service that claims the request, else S3. */
function servedBy(req: IncomingMessage, url: URL, state: EdgeState): Served {
  const target = header(req, 'x-amz-target');
  if (target !== undefined) return { kind: 'json', target };
  const handler = state.routes.get(url.pathname);
  if (handler !== undefined) return { kind: 'route', handler };
  const rest = state.rest.find((r) => r.accepts(req, url));
  return rest === undefined ? { kind: 's3' } : { kind: 'rest', rest };
}

/** The service a signature must be scoped to; undefined when no AWS service answers (a route, an unserved target). */
function signingNameOf(served: Served, state: EdgeState): string | undefined {
  switch (served.kind) {
    case 'route':
      return undefined;
    case 'rest':
      return served.rest.signingName;
    case 's3':
      return 's3';
    case 'json': {
      const prefix = served.target.slice(0, served.target.lastIndexOf('.'));
      const forwarded = prefix.startsWith('DynamoDB_') && state.dynamoDbEndpoint !== undefined;
      return state.byPrefix.get(prefix)?.signingName ?? (forwarded ? 'dynamodb' : undefined);
    }
  }
}

async function serve(
  served: Served,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  body: Buffer | undefined,
  principal: Principal | undefined,
  state: EdgeState,
): Promise<void> {
  const replay = body === undefined ? req : replayable(req, body);
  switch (served.kind) {
    case 'route': {
      const out = await served.handler(req, url, body ?? Buffer.alloc(0));
      res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
      return;
    }
    case 'rest':
      return served.rest.handle(replay, res, url, principal);
    case 's3':
      if (state.fallback?.(replay, res, url)) return;
      return sendError(
        res,
        'json',
        400,
        'UnknownOperationException',
        'no X-Amz-Target: the local edge speaks the AWS JSON protocol',
      );
    case 'json':
      return serveJson(served.target, req, res, body ?? Buffer.alloc(0), state);
  }
}

async function serveJson(
  target: string,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  state: EdgeState,
): Promise<void> {
  if (target.startsWith('DynamoDB_') && state.dynamoDbEndpoint && !servedHere(state, target))
    return proxy(replayable(req, body), res, state.dynamoDbEndpoint, body, state);
  const dot = target.lastIndexOf('.');
  const service = state.byPrefix.get(target.slice(0, dot));
  const operation = target.slice(dot + 1);
  if (service === undefined) {
    return sendError(res, 'json', 400, 'UnknownOperationException', `${target} is not served by Gantry local mode`);
  }
  let input: Record<string, unknown>;
  try {
    input = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>);
  } catch {
    return sendError(res, service.errorNamespace, 400, 'SerializationException', 'request body is not valid JSON');
  }
  try {
    const output = await service.handle(operation, input);
    res
      .writeHead(200, { 'content-type': header(req, 'content-type') ?? 'application/x-amz-json-1.1' })
      .end(JSON.stringify(output ?? {}));
  } catch (error) {
    if (!(error instanceof AwsServiceError)) throw error;
    sendError(res, service.errorNamespace, error.status, error.code, error.message, error.queryErrorCode);
  }
}

/** Whether an emulator claims this one operation of a prefix that is otherwise forwarded (DynamoDB's exports). */
function servedHere(state: EdgeState, target: string): boolean {
  const dot = target.lastIndexOf('.');
  return state.byPrefix.get(target.slice(0, dot))?.claims?.has(target.slice(dot + 1)) === true;
}

function sendError(
  res: ServerResponse,
  namespace: string,
  status: number,
  code: string,
  message: string,
  queryError?: string,
): void {
  if (res.headersSent) return void res.end();
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': code };
  if (queryError !== undefined)
    headers['x-amzn-query-error'] = `${queryError};${status >= 500 ? 'Receiver' : 'Sender'}`;
  res.writeHead(status, headers).end(JSON.stringify({ __type: `${namespace}#${code}`, message }));
}

/**
 * Who calls: nobody is checked without a registry; an open route needs nothing; a local-only
 * route needs the operator; an AWS call needs a signature by registered credentials, or the token.
 */
async function authenticate(
  req: IncomingMessage,
  url: URL,
  body: Buffer | undefined,
  served: Served,
  call: ServedCall,
  state: EdgeState,
): Promise<Authentication> {
  const open = served.kind === 'route' && state.openRoutes.has(url.pathname);
  if (state.identity === undefined || open) return { ok: true, principal: { kind: 'operator' } };
  const out = await state.identity.authenticate({
    method: req.method ?? 'GET',
    url: req.url ?? '/',
    headers: req.headers,
    ...(body === undefined ? {} : { body }),
    served: call,
  });
  if (!out.ok || out.principal.kind === 'operator' || served.kind !== 'route') return out;
  return { ok: false, failure: 'missing', message: `${url.pathname} is for the operator: send the session token` };
}

function refuse(res: ServerResponse, authn: Extract<Authentication, { ok: false }>, protocol: 'json' | 's3' | 'route') {
  if (protocol === 'route') {
    res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
    return void res.end(JSON.stringify({ message: authn.message }));
  }
  const code = refusalCode(authn.failure, protocol);
  if (protocol === 'json') return sendError(res, 'json', 403, code, authn.message);
  res
    .writeHead(403, { 'content-type': 'application/xml' })
    .end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(authn.message)}</Message></Error>`,
    );
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function isPresigned(url: URL): boolean {
  return url.searchParams.has('X-Amz-Signature');
}

/** The request again, its body already read (for authentication) served to whoever reads it next. */
function replayable(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = Readable.from(body.length === 0 ? [] : [body]);
  return Object.assign(stream, {
    headers: req.headers,
    rawHeaders: req.rawHeaders,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
    connection: req.socket,
  }) as unknown as IncomingMessage;
}

/** Forwards a request to dynalite unchanged (over a kept-alive connection), streaming both ways. */
function proxy(
  req: IncomingMessage,
  res: ServerResponse,
  endpoint: string,
  body: Buffer | undefined,
  state: EdgeState,
): void {
  const target = new URL(endpoint);
  // The caller's connection header is about its hop to the edge, not the edge's to dynalite.
  const { connection: _hop, ...headers } = req.headers;
  const upstream = httpRequest(
    {
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...headers, ...state.dynamoDbHeaders },
      agent: state.dynamoDbAgent,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () =>
    sendError(res, 'com.amazonaws.dynamodb.v20120810', 503, 'ServiceUnavailable', 'local DynamoDB is not answering'),
  );
  if (body === undefined) req.pipe(upstream);
  else upstream.end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Listens on `port`, failing with a message that says which port is taken. */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`port ${port} on ${host} is already in use`) : error),
    );
    server.listen(port, host, () => resolve());
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
