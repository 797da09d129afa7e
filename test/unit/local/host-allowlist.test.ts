import type { IncomingMessage } from 'node:http';
import { loopbackRefusal } from '../../../local/edge/loopback';

const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('loopbackRefusal', () => {
  it.each(['127.0.0.1:4566', 'localhost:4566', '[::1]:4566', 'LOCALHOST:4566'])('lets Host %s through', (host) => {
    expect(loopbackRefusal(request({ host }), 4566)).toBeUndefined();
  });

  it.each([
    ['a rebinding name', 'evil.example:4566'],
    ['a name ending in a loopback address', 'attacker.127.0.0.1:4566'],
    ['a loopback name on another port', '127.0.0.1:4000'],
    ['no port', 'localhost'],
    ['an empty Host', ''],
    ['a LAN address', '192.168.1.10:4566'],
  ])('refuses %s with 421', (_what, host) => {
    expect(loopbackRefusal(request({ host }), 4566)).toMatchObject({ status: 421 });
  });

  it.each(['https://evil.example', 'null', 'http://127.0.0.1.evil.example', 'file://'])(
    'refuses Origin %s with 403',
    (origin) => {
      expect(loopbackRefusal(request({ host: '127.0.0.1:4566', origin }), 4566)).toMatchObject({ status: 403 });
    },
  );

  it.each(['http://127.0.0.1:4000', 'http://localhost:5173', 'http://[::1]:4566'])(
    'lets a loopback page (%s) through',
    (origin) => {
      expect(loopbackRefusal(request({ host: '127.0.0.1:4566', origin }), 4566)).toBeUndefined();
    },
  );
});
