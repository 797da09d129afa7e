import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AwsJsonService, AwsServiceError } from './aws-json';

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
  accepts(req: IncomingMessage, url: URL): boolean;
  handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void>;
}

/** Serves a request no JSON-protocol service claimed (S3's REST API); returns false to let the edge answer. */
export type EdgeFallback = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

export interface EdgeOptions {
  readonly host?: string;
  /** @default 4566 (0 picks a free port) */
  readonly port?: number;
  readonly services?: readonly AwsJsonService[];
  /** Where `DynamoDB_20120810.*` requests are proxied (dynalite). */
  readonly dynamoDbEndpoint?: string;
  /** Local-only routes, by path. */
  readonly routes?: Readonly<Record<string, EdgeRoute>>;
}

export interface RunningEdge {
  readonly endpoint: string;
  readonly port: number;
  /** Adds an emulator once its configuration (which may need this edge's URL) is known. */
  mount(service: AwsJsonService): void;
  /** Adds a local-only route. */
  route(path: string, handler: EdgeRoute): void;
  /** Adds a REST-protocol emulator, asked before the fallback. */
  mountRest(service: EdgeRestService): void;
  /** Sets where DynamoDB requests go. */
  proxyDynamoDb(endpoint: string): void;
  /** Sets the handler for requests that are not AWS JSON protocol calls. */
  fallback(handler: EdgeFallback): void;
  close(): Promise<void>;
}

interface EdgeState {
  readonly byPrefix: Map<string, AwsJsonService>;
  readonly routes: Map<string, EdgeRoute>;
  readonly rest: EdgeRestService[];
  dynamoDbEndpoint: string | undefined;
  fallback: EdgeFallback | undefined;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

/**
 * One loopback endpoint for every AWS API the handlers call, as LocalStack does: requests are
 * routed by `X-Amz-Target`; DynamoDB goes to dynalite; anything else is UnknownOperationException.
 */
export async function startEdge(options: EdgeOptions = {}): Promise<RunningEdge> {
  const state: EdgeState = {
    byPrefix: new Map((options.services ?? []).map((s) => [s.targetPrefix, s])),
    routes: new Map(Object.entries(options.routes ?? {})),
    rest: [],
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    fallback: undefined,
  };
  const server = createServer((req, res) => {
    void route(req, res, state).catch(() => {
      // Never echo an internal error's message: it may carry what a caller should not see.
      sendError(res, 'json', 500, 'InternalFailure', 'the local emulator failed; see the control plane output');
    });
  });
  server.keepAliveTimeout = 60_000;
  const host = options.host ?? '127.0.0.1';
  await listen(server, host, options.port ?? 4566);
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    mount: (service) => void state.byPrefix.set(service.targetPrefix, service),
    route: (path, handler) => void state.routes.set(path, handler),
    mountRest: (service) => void state.rest.push(service),
    proxyDynamoDb: (endpoint) => {
      state.dynamoDbEndpoint = endpoint;
    },
    fallback: (handler) => {
      state.fallback = handler;
    },
    close: () => closeServer(server),
  };
}

async function route(req: IncomingMessage, res: ServerResponse, state: EdgeState): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://edge');
  const target = header(req, 'x-amz-target');
  if (target?.startsWith('DynamoDB_') && state.dynamoDbEndpoint) return proxy(req, res, state.dynamoDbEndpoint);
  const rest = target === undefined ? state.rest.find((r) => r.accepts(req, url)) : undefined;
  if (rest !== undefined) return rest.handle(req, res, url);
  if (target === undefined && !state.routes.has(url.pathname) && state.fallback?.(req, res, url)) return;
  const body = await readBody(req);
  if (body === undefined) return sendError(res, 'json', 413, 'RequestEntityTooLarge', 'request body over 16 MiB');
  const custom = state.routes.get(url.pathname);
  if (custom && target === undefined) {
    const out = await custom(req, url, body);
    res.writeHead(out.status, { 'content-type': 'application/json' }).end(JSON.stringify(out.body));
    return;
  }
  if (target === undefined) {
    return sendError(
      res,
      'json',
      400,
      'UnknownOperationException',
      'no X-Amz-Target: the local edge speaks the AWS JSON protocol',
    );
  }
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

/** Forwards a request to dynalite unchanged, streaming both ways. */
function proxy(req: IncomingMessage, res: ServerResponse, endpoint: string): void {
  const target = new URL(endpoint);
  const upstream = httpRequest(
    { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () =>
    sendError(res, 'com.amazonaws.dynamodb.v20120810', 503, 'ServiceUnavailable', 'local DynamoDB is not answering'),
  );
  req.pipe(upstream);
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
