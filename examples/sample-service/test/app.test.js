import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { handle } from '../src/app.js';

describe('the service', () => {
  let base;
  let server;
  before(async () => {
    server = createServer((req, res) => handle(req, res, { version: 'test-1', color: 'blue' }));
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${server.address().port}`;
  });
  after(() => server.close());

  const get = async (path, init) => {
    const res = await fetch(`${base}${path}`, init);
    return { status: res.status, body: await res.json() };
  };

  it('answers /health with ok', async () =>
    assert.deepEqual(await get('/health'), { status: 200, body: { status: 'ok' } }));
  it('greets on /hello', async () =>
    assert.deepEqual(await get('/hello?name=Grace'), { status: 200, body: { message: 'Hello, Grace!' } }));
  it('says which version answers', async () =>
    assert.deepEqual((await get('/version')).body, { version: 'test-1', color: 'blue' }));
  it('answers 404 for an unknown path', async () => assert.equal((await get('/nope')).status, 404));
  it('answers 405 for anything but GET', async () =>
    assert.equal((await get('/hello', { method: 'POST' })).status, 405));
});
