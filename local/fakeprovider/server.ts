import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { type Provider, ProviderSchema } from '../../events';
import { loopbackRefusal } from '../edge/loopback';
import { closeServer, listen } from '../edge/server';
import { archiveAnswer } from './archive';
import { compareAnswer, type LocalRepositories, registerRepository } from './history';
import { PROVIDER_FAKES } from './providers';
import { type LocalPullRequests, pullsAnswer, registerPullRequest } from './pulls';
import { type GitDataAnswer, gitDataAnswer } from './trees';
import type { FakeCall, FakeProviders, Fault, RawRequest, RecordedStatus, RefusedRequest } from './types';

/** Status requests are a few hundred bytes; anything near this is a bug. */
const MAX_BODY_BYTES = 1024 * 1024;

/** Where the fake listens; the local runtime may pin a port so a demo's config can name it. */
export interface FakeProvidersOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * Where the registered repositories are kept, so a restarted control plane still serves the
   * archives and compares of runs started before it (a retry, a redriven delivery). @default memory only
   */
  readonly stateFile?: string;
  /**
   * Whether a credential is one the real provider would know: the connections' API tokens. Any
   * process on the machine can reach the fake, and it serves archives of your working trees, so
   * a call whose credential is none of them is refused (401) before any route. @default every credential a route's form accepts
   */
  readonly acceptsToken?: (token: string) => boolean;
}

/**
 * The credentials a call presents, in each provider's form: `Bearer X` or `token X`, GitLab's
 * `PRIVATE-TOKEN: X`, and Basic with the token as password (Azure DevOps, Bitbucket app passwords).
 */
export function presentedTokens(headers: Readonly<Record<string, string>>): string[] {
  const tokens: string[] = [];
  const authorization = headers.authorization ?? '';
  const bearer = /^(?:Bearer|token) (\S+)$/i.exec(authorization)?.[1];
  if (bearer !== undefined) tokens.push(bearer);
  const basic = /^Basic (\S+)$/i.exec(authorization)?.[1];
  if (basic !== undefined) {
    const pair = Buffer.from(basic, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    if (colon >= 0) tokens.push(pair.slice(colon + 1));
  }
  const privateToken = headers['private-token'];
  if (privateToken !== undefined && privateToken !== '') tokens.push(privateToken);
  return tokens;
}

/** The `apiUrl` to give a status adapter so it talks to the fake: the server URL plus the provider prefix. */
export function fakeApiUrl(url: string, provider: Provider): string {
  return `${url.replace(/\/+$/, '')}/${provider}`;
}

interface FakeState {
  readonly repositories: LocalRepositories;
  readonly pulls: LocalPullRequests;
  statuses: RecordedStatus[];
  refused: RefusedRequest[];
  requests: RawRequest[];
  faults: Fault[];
  nextId: number;
}

function freshState(repositories: LocalRepositories = new Map(), pulls: LocalPullRequests = new Map()): FakeState {
  return { repositories, pulls, statuses: [], refused: [], requests: [], faults: [], nextId: 1 };
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, headers).end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(text);
}

/**
 * The body, or undefined when it is larger than `MAX_BODY_BYTES`. An oversized body is still
 * read to its end (and dropped), so the 413 reaches the client instead of a reset connection.
 */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString('utf8');
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The provider a raw path is prefixed with, and the call its fake sees. */
function route(raw: RawRequest, id: number): { provider: Provider; call: FakeCall } | undefined {
  const [pathname = '', search = ''] = raw.path.split('?', 2);
  const match = /^\/([^/]+)(\/.*)?$/.exec(pathname);
  const provider = ProviderSchema.safeParse(match?.[1]);
  if (!provider.success) return undefined;
  const call = {
    method: raw.method,
    path: match?.[2] ?? '/',
    query: new URLSearchParams(search),
    headers: raw.headers,
    body: parseJson(raw.body),
    id,
  };
  return { provider: provider.data, call };
}

function answerFault(res: ServerResponse, fault: Fault): void {
  if ('hang' in fault) return;
  send(res, fault.status, fault.body ?? { message: 'fault injected by the fake provider' }, { ...fault.headers });
}

function answerCall(res: ServerResponse, raw: RawRequest, state: FakeState): Promise<void> | undefined {
  const routed = route(raw, state.nextId);
  if (routed === undefined) {
    const answer = { message: `no fake provider here; use one of ${Object.keys(PROVIDER_FAKES).join(', ')}` };
    state.refused.push({ provider: undefined, status: 404, answer, raw });
    send(res, 404, answer);
    return;
  }
  // Archives, git data and compares run git off the event loop; every other call is answered at once, in
  // the order it came (its record's id is the next one).
  const archive = archiveAnswer(state.repositories, routed.provider, routed.call);
  if (archive !== undefined)
    return archive.then((answer) => {
      if ('zip' in answer) res.writeHead(200, { 'content-type': 'application/zip' }).end(answer.zip);
      else send(res, answer.status, answer.body);
    });
  const apiUrl = fakeApiUrl(`http://${raw.headers.host ?? '127.0.0.1'}`, routed.provider);
  const data = gitDataAnswer(state.repositories, routed.provider, routed.call, apiUrl);
  if (data !== undefined) return data.then((answer) => sendGitData(res, answer));
  const compared = compareAnswer(state.repositories, routed.provider, routed.call);
  if (compared !== undefined) return compared.then((answer) => send(res, answer.status, answer.body));
  const pulled = pullsAnswer(state.pulls, routed.provider, routed.call);
  if (pulled !== undefined) {
    send(res, pulled.status, pulled.body);
    return;
  }
  const answer = PROVIDER_FAKES[routed.provider].handle(routed.call);
  if (answer.record !== undefined) {
    state.nextId += 1;
    state.statuses.push({ ...answer.record, raw });
  } else state.refused.push({ provider: routed.provider, status: answer.status, answer: answer.body, raw });
  send(res, answer.status, answer.body);
}

function sendGitData(res: ServerResponse, answer: GitDataAnswer): void {
  if ('raw' in answer) res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(answer.raw);
  else send(res, answer.status, answer.body);
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  state: FakeState,
  acceptsToken: FakeProvidersOptions['acceptsToken'],
): Promise<void> {
  const body = await readBody(req);
  if (body === undefined) return send(res, 413, { message: 'request body too large' });
  const raw: RawRequest = { method: req.method ?? '', path: req.url ?? '/', headers: headersOf(req), body };
  if (acceptsToken !== undefined && !presentedTokens(raw.headers).some((token) => acceptsToken(token))) {
    state.refused.push({ provider: undefined, status: 401, answer: { message: 'Bad credentials' }, raw });
    return send(res, 401, { message: 'Bad credentials: no connection of this control plane has that token' });
  }
  state.requests.push(raw);
  const fault = state.faults.shift();
  if (fault !== undefined) return answerFault(res, fault);
  await answerCall(res, raw, state);
}

function handle(state: FakeState, host: string, acceptsToken: FakeProvidersOptions['acceptsToken']): Server {
  const server = createServer((req, res) => {
    const refused = loopbackRefusal(req, (server.address() as AddressInfo).port, host);
    if (refused !== undefined) return send(res, refused.status, { message: refused.reason });
    void serve(req, res, state, acceptsToken).catch(() => send(res, 500, { message: 'the fake provider failed' }));
  });
  return server;
}

/**
 * Starts one loopback server that stands in for every provider's commit status API (and the
 * archive API source fetches use, from registered repositories), each under
 * its own prefix (`${url}/github`, `${url}/gitlab`, …; see `fakeApiUrl`). It checks requests as
 * the real APIs do (method, path, credentials, required fields, allowed states, length limits),
 * answers in each provider's success and error shapes, and records what it accepts, so a wrong
 * adapter fails its test and the local runtime has somewhere to report to without a network.
 */
export async function startFakeProviders(options: FakeProvidersOptions = {}): Promise<FakeProviders> {
  const state = freshState(loadRepositories(options.stateFile));
  const host = options.host ?? '127.0.0.1';
  const server = handle(state, host, options.acceptsToken);
  await listen(server, host, options.port ?? 0);
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    statuses: () => [...state.statuses],
    refused: () => [...state.refused],
    requests: () => [...state.requests],
    failNext: (...faults) => {
      state.faults.push(...faults);
    },
    clear: () => {
      Object.assign(state, freshState(state.repositories, state.pulls));
    },
    registerRepository: async (provider, fullName, dir) => {
      const out = await registerRepository(state.repositories, provider, fullName, dir);
      if (out.status === 204 && options.stateFile !== undefined)
        saveRepositories(options.stateFile, state.repositories);
      return out;
    },
    registerPullRequest: (provider, fullName, pr) => registerPullRequest(state.pulls, provider, fullName, pr),
    close: () => closeServer(server),
  };
}

/** The repositories an earlier run of the control plane registered (none when there is no file yet). */
function loadRepositories(file: string | undefined): LocalRepositories {
  if (file === undefined || !existsSync(file)) return new Map();
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  return new Map(Object.entries(saved).filter(([, dir]) => typeof dir === 'string' && existsSync(dir)));
}

function saveRepositories(file: string, repositories: LocalRepositories): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.tmp`;
  writeFileSync(temp, JSON.stringify(Object.fromEntries(repositories), null, 2), { mode: 0o600 });
  renameSync(temp, file);
}
