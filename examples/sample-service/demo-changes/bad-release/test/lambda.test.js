import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handler } from '../src/lambda.js';

process.env.GREETING_STYLE = 'friendly';

const event = (path, query = '', method = 'GET') => ({
  rawPath: path,
  rawQueryString: query,
  requestContext: { http: { method, path } },
});

describe('the Lambda entry point', () => {
  it('answers the same routes as the HTTP server', async () => {
    const out = await handler(event('/hello', 'name=Ada'));
    assert.equal(out.statusCode, 200);
    assert.deepEqual(JSON.parse(out.body), { message: 'Hello, Ada!' });
  });

  it('says which version answers', async () => {
    process.env.AWS_LAMBDA_FUNCTION_VERSION = '7';
    const out = await handler(event('/version'));
    assert.equal(JSON.parse(out.body).version, '7');
  });

  it('passes errors through as statuses', async () => {
    assert.equal((await handler(event('/nowhere'))).statusCode, 404);
    assert.equal((await handler(event('/hello', '', 'POST'))).statusCode, 405);
  });
});
