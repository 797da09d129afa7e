import { isBinary, RouteTable } from '../../../local/apigateway/events';
import type { ApiSpec } from '../../../local/template/inventory';

const api: ApiSpec = {
  id: 'abc',
  name: 'gantry-webhooks',
  stages: ['v1'],
  binaryMediaTypes: ['*/*'],
  routes: [
    {
      method: 'POST',
      path: '/webhooks/{provider}',
      functionArn: 'arn:fn:receiver',
      requiredPathParameters: ['provider'],
      authorization: 'NONE',
    },
    {
      method: 'ANY',
      path: '/files/{key+}',
      functionArn: 'arn:fn:files',
      requiredPathParameters: [],
      authorization: 'AWS_IAM',
    },
  ],
};

describe('RouteTable', () => {
  const routes = new RouteTable([api]);

  it.each([
    ['POST', '/webhooks/github', 'arn:fn:receiver', { provider: 'github' }, 'v1'],
    ['POST', '/v1/webhooks/gitlab', 'arn:fn:receiver', { provider: 'gitlab' }, 'v1'],
    ['POST', '/webhooks/bitbucket%2Dcloud', 'arn:fn:receiver', { provider: 'bitbucket-cloud' }, 'v1'],
    ['GET', '/files/a/b/c.txt', 'arn:fn:files', { key: 'a/b/c.txt' }, 'v1'],
  ])('routes %s %s as API Gateway would', (method, path, functionArn, pathParameters, stage) => {
    expect(routes.match(method, path)).toMatchObject({ route: { functionArn }, pathParameters, stage });
  });

  it.each([
    ['GET', '/webhooks/github'],
    ['POST', '/webhooks'],
    ['POST', '/webhooks/github/extra'],
  ])('has no route for %s %s', (method, path) => {
    expect(routes.match(method, path)).toBeUndefined();
  });
});

describe('isBinary', () => {
  it.each([
    [['*/*'], 'application/json', true],
    [['image/*'], 'image/png', true],
    [['image/*'], 'application/json', false],
    [['application/octet-stream'], 'application/octet-stream; charset=binary', true],
    [[], 'application/json', false],
  ])('binary media types %j with %s → %s', (types, contentType, expected) => {
    expect(isBinary({ ...api, binaryMediaTypes: types }, contentType)).toBe(expected);
  });
});
