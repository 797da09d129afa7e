import { greeting } from './greeting.js';

/**
 * The service's routes: /health for load balancers and deployment health checks, /hello for
 * users, /version to see which release answers.
 */
export function handle(req, res, info = {}) {
  const url = new URL(req.url ?? '/', 'http://service');
  if (req.method !== 'GET') return send(res, 405, { error: 'only GET is served' });
  if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
  if (url.pathname === '/hello') return send(res, 200, { message: greeting(url.searchParams.get('name')) });
  if (url.pathname === '/version')
    return send(res, 200, { version: info.version ?? 'unknown', color: info.color ?? null });
  return send(res, 404, { error: `no route ${url.pathname}` });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
