import { handle } from './app.js';

/**
 * The Lambda entry point (a function URL or API Gateway HTTP API payload v2): the same routes as
 * src/server.js, so the service runs unchanged behind an alias that CodeDeploy shifts.
 */
export async function handler(event) {
  const http = event.requestContext?.http ?? {};
  // New: the greeting style comes from configuration. The tests set it; the deployed function
  // does not, so every /hello in the cloud fails (the bug the canary and its alarm catch).
  const style = process.env.GREETING_STYLE;
  if ((event.rawPath ?? '') === '/hello' && !style) {
    return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: '{"error":"GREETING_STYLE is not set"}' };
  }
  const query = event.rawQueryString ? `?${event.rawQueryString}` : '';
  const req = { method: http.method ?? 'GET', url: `${event.rawPath ?? http.path ?? '/'}${query}` };
  const info = {
    version: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? process.env.SERVICE_VERSION ?? 'unknown',
    color: process.env.DEPLOYMENT_COLOR ?? null,
  };
  return new Promise((resolve) => {
    const res = {
      statusCode: 200,
      headers: {},
      writeHead(status, headers) {
        this.statusCode = status;
        this.headers = { ...headers };
      },
      end(body) {
        resolve({ statusCode: this.statusCode, headers: this.headers, body: body ?? '' });
      },
    };
    handle(req, res, info);
  });
}
