import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../edge/identity';
import type { EdgeRestService } from '../edge/server';
import type { InvokeOutcome, LambdaInvoker } from '../lambda/types';
import { S3Error, type S3Store } from '../s3';
import { InvalidPackageError } from './code';
import type { LocalServices } from './services';
import { aliasConfiguration, functionConfiguration } from './shapes';
import type { ServiceSpec } from './types';

export interface LambdaApiOptions {
  readonly services: LocalServices;
  /** Where UpdateFunctionCode's S3Bucket/S3Key packages are read. */
  readonly s3: S3Store;
  readonly accountId: string;
  /**
   * Whether the caller may read the package UpdateFunctionCode names, as Lambda fetches it with
   * the caller's credentials (`s3:GetObject`, `s3:GetObjectVersion` for a version): undefined when
   * it may, else why not. @default every caller may (no local IAM)
   */
  readonly mayRead?: (principal: Principal | undefined, access: PackageRead) => string | undefined;
  /**
   * Invoke of any other function (the GantryFunction workers); `invokeAsync` runs an Event
   * invocation with the function's own retries and on-failure destination.
   */
  readonly otherFunctions?: LambdaInvoker & {
    invokeAsync?(functionNameOrArn: string, payload: unknown): Promise<unknown>;
  };
}

/** The S3 read UpdateFunctionCode makes for its caller. */
export interface PackageRead {
  readonly action: 's3:GetObject' | 's3:GetObjectVersion';
  readonly resource: string;
}

/** An error as Lambda's REST API answers it: `x-amzn-ErrorType` and `{Type, message}`. */
export class LambdaApiError extends Error {
  override readonly name = 'LambdaApiError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Call {
  readonly req: IncomingMessage;
  readonly url: URL;
  readonly spec: ServiceSpec | undefined;
  readonly name: string;
  readonly qualifier: string | undefined;
  readonly rest: readonly string[];
  readonly body: Buffer;
  /** Who the edge authenticated the call as (undefined without local IAM). */
  readonly principal: Principal | undefined;
}

interface Answer {
  readonly status: number;
  readonly body?: unknown;
  readonly raw?: Buffer;
  readonly headers?: Record<string, string>;
}

const PREFIX = '/2015-03-31/functions/';
const MAX_BODY_BYTES = 70 * 1024 * 1024;

/**
 * Lambda's REST API for the service functions, on the edge: GetFunction(Configuration),
 * UpdateFunctionCode, PublishVersion, ListVersionsByFunction, GetAlias, ListAliases, UpdateAlias
 * and Invoke (which also reaches the other local functions). What it does not serve is an
 * UnknownOperationException, never a silent success.
 */
export function lambdaApi(options: LambdaApiOptions): EdgeRestService {
  return {
    name: 'Lambda',
    signingName: 'lambda',
    accepts: (_req, url) => url.pathname.startsWith(PREFIX),
    handle: async (req, res, url, principal) => {
      try {
        send(res, await dispatch(options, await callOf(options, req, url, principal)));
      } catch (error) {
        if (!(error instanceof LambdaApiError)) throw error;
        sendError(res, error);
      }
    },
  };
}

async function callOf(
  options: LambdaApiOptions,
  req: IncomingMessage,
  url: URL,
  principal: Principal | undefined,
): Promise<Call> {
  const [encoded = '', ...rest] = url.pathname.slice(PREFIX.length).split('/');
  const reference = decodeURIComponent(encoded);
  const resolved = options.services.resolve(reference);
  const qualifier = url.searchParams.get('Qualifier') ?? resolved?.qualifier;
  const body = await readBody(req);
  return { req, url, spec: resolved?.spec, name: reference, qualifier: qualifier ?? undefined, rest, body, principal };
}

async function dispatch(options: LambdaApiOptions, call: Call): Promise<Answer> {
  const method = call.req.method ?? 'GET';
  const [resource, aliasName] = call.rest;
  if (resource === 'invocations' && method === 'POST') return invoke(options, call);
  const spec = call.spec ?? notFound(`Function not found: ${call.name}`);
  const { services } = options;
  const store = services.store;
  const config = (version: string) => {
    const record = store.version(spec.name, version) ?? notFound(`Function not found: ${spec.arn}:${version}`);
    return functionConfiguration(spec, record, store.revisionId(spec.name), options.accountId);
  };
  const route = `${method} ${resource ?? ''}${aliasName === undefined ? '' : '/'}`;
  switch (route) {
    case 'GET ':
      return ok({
        Configuration: config(versionOf(call, store)),
        Code: { RepositoryType: 'S3', Location: `file://${spec.codeDir}` },
      });
    case 'GET configuration':
      return ok(config(versionOf(call, store)));
    case 'PUT code':
      return ok(await updateCode(options, spec, json(call.body), call.principal).then((v) => config(v)));
    case 'POST versions':
      return { status: 201, body: config(publish(options, spec, json(call.body))) };
    case 'GET versions':
      return ok({ Versions: ['$LATEST', ...store.versions(spec.name).map((v) => v.version)].map(config) });
    case 'GET aliases':
      return ok({ Aliases: store.aliases(spec.name).map((a) => aliasConfiguration(spec, a)) });
    case 'GET aliases/':
      return ok(aliasConfiguration(spec, aliasOf(options, spec, String(aliasName))));
    case 'PUT aliases/':
      return ok(aliasConfiguration(spec, updateAlias(options, spec, String(aliasName), json(call.body))));
    default:
      throw new LambdaApiError(
        'UnknownOperationException',
        `${method} ${call.url.pathname} is not served by Gantry local mode`,
      );
  }
}

function versionOf(call: Call, store: LocalServices['store']): string {
  const q = call.qualifier;
  if (q === undefined || call.spec === undefined) return '$LATEST';
  return store.alias(call.spec.name, q)?.functionVersion ?? q;
}

async function updateCode(
  options: LambdaApiOptions,
  spec: ServiceSpec,
  input: Record<string, unknown>,
  principal: Principal | undefined,
): Promise<string> {
  const zip = await packageOf(options, input, principal);
  const store = options.services.store;
  try {
    store.updateCode(spec.name, zip);
  } catch (error) {
    if (error instanceof InvalidPackageError) {
      throw new LambdaApiError('InvalidParameterValueException', `Could not unzip uploaded file: ${error.message}`);
    }
    throw error;
  }
  return input.Publish === true ? store.publish(spec.name).version : '$LATEST';
}

/**
 * The package UpdateFunctionCode names: inline, or the S3 object (the exact version when
 * `S3ObjectVersion` is given, so a pipeline deploys the bytes it built even after a later put),
 * read only if the caller may read it, as Lambda reads it with the caller's credentials. An
 * object S3 cannot read is Lambda's InvalidParameterValueException quoting S3's error.
 */
async function packageOf(
  options: LambdaApiOptions,
  input: Record<string, unknown>,
  principal: Principal | undefined,
): Promise<Buffer> {
  if (typeof input.ZipFile === 'string') return Buffer.from(input.ZipFile, 'base64');
  if (typeof input.S3Bucket !== 'string' || typeof input.S3Key !== 'string') {
    throw new LambdaApiError('InvalidParameterValueException', 'Please provide a source for function code.');
  }
  const version = input.S3ObjectVersion;
  if (version !== undefined && (typeof version !== 'string' || version === '')) {
    throw new LambdaApiError('InvalidParameterValueException', 'S3ObjectVersion must be a non-empty string.');
  }
  const action = version === undefined ? 's3:GetObject' : 's3:GetObjectVersion';
  const denied = options.mayRead?.(principal, { action, resource: `arn:aws:s3:::${input.S3Bucket}/${input.S3Key}` });
  if (denied !== undefined) {
    throw new LambdaApiError(
      'AccessDeniedException',
      `Your access has been denied by S3, please make sure your request credentials have permission to ${action.slice(3)} for ${input.S3Bucket}/${input.S3Key}. S3 Error Code: AccessDenied. S3 Error Message: Access Denied (${denied})`,
      403,
    );
  }
  try {
    return await options.s3.readObject(input.S3Bucket, input.S3Key, version);
  } catch (error) {
    if (!(error instanceof S3Error)) throw error;
    const named = version === undefined ? '' : ` (version ${version})`;
    throw new LambdaApiError(
      'InvalidParameterValueException',
      `Error occurred while GetObject. S3 Error Code: ${error.code}. S3 Error Message: ${error.message} ` +
        `Bucket: ${input.S3Bucket}, key: ${input.S3Key}${named}.`,
    );
  }
}

function publish(options: LambdaApiOptions, spec: ServiceSpec, input: Record<string, unknown>): string {
  const store = options.services.store;
  const latest = store.version(spec.name, '$LATEST');
  if (typeof input.CodeSha256 === 'string' && input.CodeSha256 !== latest?.codeSha256) {
    throw new LambdaApiError(
      'InvalidParameterValueException',
      `CodeSHA256 (${input.CodeSha256}) is different from current CodeSHA256 in $LATEST (${latest?.codeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
    );
  }
  return store.publish(spec.name, typeof input.Description === 'string' ? input.Description : '').version;
}

function aliasOf(options: LambdaApiOptions, spec: ServiceSpec, name: string) {
  return options.services.store.alias(spec.name, name) ?? notFound(`Cannot find alias arn: ${spec.arn}:${name}`);
}

function updateAlias(options: LambdaApiOptions, spec: ServiceSpec, name: string, input: Record<string, unknown>) {
  const store = options.services.store;
  const current = aliasOf(options, spec, name);
  if (typeof input.RevisionId === 'string' && input.RevisionId !== current.revisionId) {
    throw new LambdaApiError(
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id.',
      412,
    );
  }
  const version = typeof input.FunctionVersion === 'string' ? input.FunctionVersion : current.functionVersion;
  const routing = input.RoutingConfig as { AdditionalVersionWeights?: Record<string, number> } | undefined;
  const weights = routing === undefined ? current.additionalVersionWeights : (routing.AdditionalVersionWeights ?? {});
  for (const v of [version, ...Object.keys(weights)]) {
    if (store.version(spec.name, v) === undefined || v === '$LATEST') {
      throw new LambdaApiError('ResourceNotFoundException', `Function not found: ${spec.arn}:${v}`, 404);
    }
  }
  const entries = Object.entries(weights);
  if (entries.length > 1 || entries.some(([v, w]) => v === version || !(w >= 0 && w <= 1))) {
    throw new LambdaApiError(
      'InvalidParameterValueException',
      'RoutingConfig names one version other than the alias version, with a weight between 0.0 and 1.0',
    );
  }
  return options.services.route(spec.name, name, {
    functionVersion: version,
    additionalVersionWeights: weights,
    ...(typeof input.Description === 'string' ? { description: input.Description } : {}),
  });
}

async function invoke(options: LambdaApiOptions, call: Call): Promise<Answer> {
  let event: unknown;
  try {
    event = call.body.length === 0 ? {} : JSON.parse(call.body.toString('utf8'));
  } catch {
    throw new LambdaApiError('InvalidRequestContentException', 'Could not parse request body into json');
  }
  const type = String(call.req.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  const { version, start } = target(options, call);
  if (type === 'DryRun') return { status: 204 };
  if (type === 'Event') {
    const other = call.spec === undefined ? options.otherFunctions : undefined;
    const accepted = other?.invokeAsync ? other.invokeAsync(call.name, event) : start(event);
    void accepted.catch(() => undefined);
    return { status: 202 };
  }
  return outcomeAnswer(await start(event), version);
}

function target(
  options: LambdaApiOptions,
  call: Call,
): { version: string; start: (event: unknown) => Promise<InvokeOutcome> } {
  const { spec, qualifier } = call;
  if (spec === undefined) {
    const other = options.otherFunctions ?? { invoke: async () => notFound(`Function not found: ${call.name}`) };
    return { version: '$LATEST', start: (event) => other.invoke(call.name, event) };
  }
  const version = options.services.versionFor(spec.name, qualifier);
  if (version === undefined) notFound(`Function not found: ${spec.arn}:${qualifier}`);
  return { version: version.version, start: (event) => options.services.invoke(spec.name, version.version, event) };
}

function outcomeAnswer(outcome: InvokeOutcome, version: string): Answer {
  const headers = { 'x-amz-executed-version': version };
  if (outcome.ok) return { status: 200, raw: Buffer.from(JSON.stringify(outcome.payload)), headers };
  if (outcome.errorType === 'ResourceNotFoundException') notFound(outcome.errorMessage);
  const { errorType, errorMessage, trace } = outcome;
  return {
    status: 200,
    raw: Buffer.from(JSON.stringify({ errorType, errorMessage, trace })),
    headers: { ...headers, 'x-amz-function-error': 'Unhandled' },
  };
}

function ok(body: unknown): Answer {
  return { status: 200, body };
}

function notFound(message: string): never {
  throw new LambdaApiError('ResourceNotFoundException', message, 404);
}

function json(body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new LambdaApiError('InvalidRequestContentException', 'Could not parse request body into json');
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new LambdaApiError('RequestTooLargeException', 'Request must be smaller than 70167211 bytes', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, answer: Answer): void {
  const headers = { 'content-type': 'application/json', ...answer.headers };
  if (answer.raw !== undefined) return void res.writeHead(answer.status, headers).end(answer.raw);
  res.writeHead(answer.status, headers).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
}

function sendError(res: ServerResponse, error: LambdaApiError): void {
  if (res.headersSent) return void res.end();
  res
    .writeHead(error.status, { 'content-type': 'application/json', 'x-amzn-errortype': error.code })
    .end(JSON.stringify({ Type: 'User', message: error.message }));
}
