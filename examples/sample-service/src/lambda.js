import { handle } from './app.js';

/**
 * The Lambda entry point (a function URL or API Gateway HTTP API payload v2): the same routes as
 * src/server.js, so the service runs unchanged behind an alias that CodeDeploy shifts.
 */
export async function handler(event) {
  const http = event.requestContext?.http ?? {};
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
