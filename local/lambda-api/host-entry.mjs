// One version of a service function, in a process of its own: imports the version's handler from
// its code folder and serves it over HTTP as a Lambda function URL would (payload format 2.0),
// and runs Lambda invocations sent over IPC in the protocol of local/lambda/protocol.ts.
// Plain JavaScript, so it starts as fast as node does.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { describeError, lambdaContext, loadHandler, replyTo } from '../lambda/host.mjs';

const env = process.env;
const setup = {
  file: env.GANTRY_HANDLER_FILE ?? '',
  exportName: env.GANTRY_HANDLER_EXPORT ?? 'handler',
  functionArn: env.GANTRY_FUNCTION_ARN ?? '',
  timeoutMs: Number(env.GANTRY_TIMEOUT_MS ?? 3000),
  // The names a request may call this process by: loopback ones, and the host local mode serves on.
  hosts: ['127.0.0.1', 'localhost', '[::1]', ...(env.GANTRY_SERVE_HOST ? [env.GANTRY_SERVE_HOST] : [])],
};
for (const key of Object.keys(env))
  if (
    key.startsWith('GANTRY_HANDLER_') ||
    key === 'GANTRY_FUNCTION_ARN' ||
    key === 'GANTRY_TIMEOUT_MS' ||
    key === 'GANTRY_SERVE_HOST'
  )
    delete env[key];

const send = (message) => process.send?.(message);
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (error) => console.error('Unhandled rejection:', error));

let handler;
try {
  handler = await loadHandler(setup.file, setup.exportName);
} catch (error) {
  send({ type: 'init-error', ...describeError(error) });
  process.exit(1);
}

process.on('message', (message) => {
  if (message?.type === 'color') env.DEPLOYMENT_COLOR = message.color;
  if (message?.type !== 'invoke') return;
  replyTo(message.id, run(message.event, message.requestId, message.deadline)).then(send);
});

const server = createServer((req, res) => {
  // As every local server (local/edge/loopback.ts): a DNS-rebinding page names its own host, and a
  // cross-site page sends its origin. The alias proxy forwards its caller's Host, on its own port.
  const refused = loopbackRefusal(req);
  if (refused) {
    res
      .writeHead(refused.status, { 'content-type': 'application/json' })
      .end(JSON.stringify({ Message: refused.reason }));
    return;
  }
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    run(eventOf(req, Buffer.concat(chunks))).then(
      (result) => answer(res, result),
      (error) => {
        console.error(JSON.stringify({ level: 'ERROR', ...describeError(error) }));
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"Message":"Internal Server Error"}');
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: server.address().port }));

/** Runs the handler as Lambda would, failing `Sandbox.Timedout` at the function's timeout. */
function run(event, requestId = randomUUID(), deadline = Date.now() + setup.timeoutMs) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(
      () => {
        const error = new Error(`Task timed out after ${(setup.timeoutMs / 1000).toFixed(2)} seconds`);
        error.name = 'Sandbox.Timedout';
        reject(error);
      },
      Math.max(0, deadline - Date.now()),
    );
  });
  const context = lambdaContext(env, setup.functionArn, requestId, deadline);
  return Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

/** A function URL request event (payload format 2.0). */
function eventOf(req, body) {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value.join(',') : value;
  const cookies = headers.cookie ? headers.cookie.split(/;\s*/) : undefined;
  const query = url.searchParams.size > 0 ? Object.fromEntries(url.searchParams) : undefined;
  const text =
    body.length === 0 || /^(text\/|application\/(json|xml|x-www-form-urlencoded))/.test(headers['content-type'] ?? '');
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !text,
  };
}

/** A handler's result as a function URL answers it: `{statusCode, headers, body}`, or any value as JSON. */
function answer(res, result) {
  if (result === null || typeof result !== 'object' || !('statusCode' in result)) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
    return;
  }
  const headers = { ...(result.headers ?? {}) };
  if (Array.isArray(result.cookies) && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = result.body === undefined ? '' : String(result.body);
  res.writeHead(Number(result.statusCode), headers).end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

/** A Host that is not one of this machine's names for it (any port), or a foreign Origin: refused. */
function loopbackRefusal(req) {
  const given = String(req.headers.host ?? '').toLowerCase();
  const name = given.startsWith('[') ? given.slice(0, given.indexOf(']') + 1) : given.split(':')[0];
  if (!setup.hosts.includes(name))
    return {
      status: 421,
      reason: `Host ${given || '(none)'} is not this local server: call its stable URL on 127.0.0.1`,
    };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let hostname = '';
    try {
      hostname = new URL(origin).hostname;
    } catch {
      // an origin that is no URL is foreign
    }
    if (!setup.hosts.includes(hostname))
      return { status: 403, reason: `Origin ${origin} may not call the local control plane: only loopback pages may` };
  }
  return undefined;
}
