import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ArchiveRefusedError } from '../../../shared/source/errors';
import { ArchiveHttpClient } from '../../../shared/source/http';

/** Two loopback origins: the API, and storage it redirects archives to. */
let api: Server;
let storage: Server;
const seen: { server: string; path: string; headers: IncomingHttpHeaders }[] = [];
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  storage = createServer((req, res) => {
    seen.push({ server: 'storage', path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/zip' }).end(Buffer.alloc(req.url === '/big' ? 5000 : 100, 1));
  });
  api = createServer((req, res) => {
    seen.push({ server: 'api', path: req.url ?? '', headers: req.headers });
    if (req.url === '/same') return void res.writeHead(302, { location: '/final' }).end();
    if (req.url === '/final') return void res.writeHead(200).end(Buffer.from([1, 2, 3]));
    res.writeHead(302, { location: `${urlOf(storage)}${req.url}` }).end();
  });
  await Promise.all([api, storage].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
});
afterAll(() => Promise.all([api, storage].map((s) => new Promise((r) => s.close(r)))));
beforeEach(() => {
  seen.length = 0;
});

const send = (path: string, maxBytes = 1000) =>
  new ArchiveHttpClient(maxBytes).send({
    method: 'GET',
    url: `${urlOf(api)}${path}`,
    headers: { authorization: 'Bearer t0ken', 'private-token': 't0ken', accept: 'application/zip' },
    timeoutMs: 5000,
  });

describe('ArchiveHttpClient', () => {
  it('follows a redirect to storage without the token, and reads the archive as bytes', async () => {
    const answer = await send('/zipball');
    expect(answer.status).toBe(200);
    expect(answer.bytes).toHaveLength(100);
    const [first, second] = seen;
    expect(first?.headers.authorization).toBe('Bearer t0ken');
    expect(second?.server).toBe('storage');
    expect(second?.headers.authorization).toBeUndefined();
    expect(second?.headers['private-token']).toBeUndefined();
    expect(second?.headers.accept).toBe('application/zip');
  });

  it('keeps the token on a redirect within the API’s own origin', async () => {
    expect((await send('/same')).bytes).toEqual(Buffer.from([1, 2, 3]));
    expect(seen.map((s) => s.headers.authorization)).toEqual(['Bearer t0ken', 'Bearer t0ken']);
  });

  it('stops reading an archive larger than its bound', async () => {
    await expect(send('/big', 1000)).rejects.toThrow(ArchiveRefusedError);
  });
});
