// One version of a service function, in a process of its own: imports the version's handler from
// its code folder and serves it over HTTP as a Lambda function URL would (payload format 2.0),
// and runs Lambda invocations sent over IPC. Plain JavaScript, so it starts as fast as node does.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

const env = process.env;
const setup = {
  file: env.GANTRY_HANDLER_FILE ?? '',
  exportName: env.GANTRY_HANDLER_EXPORT ?? 'handler',
  functionArn: env.GANTRY_FUNCTION_ARN ?? '',
  timeoutMs: Number(env.GANTRY_TIMEOUT_MS ?? 3000),
};
for (const key of Object.keys(env))
  if (key.startsWith('GANTRY_HANDLER_') || key === 'GANTRY_FUNCTION_ARN' || key === 'GANTRY_TIMEOUT_MS')
    delete env[key];

const send = (message) => process.send?.(message);
process.on('disconnect', () => process.exit(0));
process.on('unhandledRejection', (error) => console.error('Unhandled rejection:', error));

let handler;
try {
  const module = await import(pathToFileURL(setup.file).href);
  handler = module[setup.exportName];
  if (typeof handler !== 'function')
    throw new TypeError(`${setup.file} does not export a function "${setup.exportName}"`);
} catch (error) {
  send({ type: 'init-error', ...describe(error) });
  process.exit(1);
}

process.on('message', (message) => {
  if (message?.type === 'color') env.DEPLOYMENT_COLOR = message.color;
  if (message?.type !== 'invoke') return;
  run(message.event).then(
    (payload) => send({ type: 'result', id: message.id, payload: payload === undefined ? null : payload }),
    (error) => send({ type: 'error', id: message.id, ...describe(error) }),
  );
});

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    run(eventOf(req, Buffer.concat(chunks))).then(
      (result) => answer(res, result),
      (error) => {
        console.error(JSON.stringify({ level: 'ERROR', ...describe(error) }));
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"Message":"Internal Server Error"}');
      },
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: server.address().port }));

function run(event) {
  const requestId = randomUUID();
  const deadline = Date.now() + setup.timeoutMs;
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`Task timed out after ${(setup.timeoutMs / 1000).toFixed(2)} seconds`);
      error.name = 'Sandbox.Timedout';
      reject(error);
    }, setup.timeoutMs);
  });
  const context = {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: setup.functionArn,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: requestId,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
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

function describe(error) {
  if (error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? '')
        .split('\n')
        .slice(1)
        .map((l) => l.trim()),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}
