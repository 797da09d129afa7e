import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ConsoleIdentity, ConsoleUser } from './ports';

const COOKIE = 'gantry_console';
const LOOPBACK = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export interface LocalPerson {
  readonly identity: string;
  readonly principal: string;
}

/**
 * Local mode's sign-in: the machine's user is trusted, but only with the secret code the
 * `npm start` banner prints (a page elsewhere on the machine does not have it). The code is
 * exchanged for an HttpOnly, SameSite=Strict session cookie; the session then acts as one
 * configured person at a time, chosen on the page (as the CLI's --as chooses).
 */
export class LocalConsoleSessions implements ConsoleIdentity {
  readonly code = randomBytes(24).toString('base64url');
  private readonly sessions = new Map<string, string>();

  constructor(
    private readonly people: readonly LocalPerson[],
    private readonly base: string,
  ) {}

  get choices(): string[] {
    return this.people.map((p) => p.identity);
  }

  exchange(request: Request): Response | undefined {
    const url = new URL(request.url);
    const code = url.searchParams.get('code');
    if (code === null || !loopbackHost(request)) return undefined;
    if (!sameSecret(code, this.code)) return undefined;
    const session = randomBytes(24).toString('base64url');
    const first = this.people[0]?.identity ?? '';
    this.sessions.set(session, first);
    url.searchParams.delete('code');
    return new Response(null, {
      status: 303,
      headers: {
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=${this.base}/`,
      },
    });
  }

  async userOf(request: Request): Promise<ConsoleUser | { refused: string }> {
    if (!loopbackHost(request))
      return { refused: 'the local console answers only on 127.0.0.1 or localhost, as the npm start banner prints it' };
    const session = sessionOf(request);
    const identity = session === undefined ? undefined : this.sessions.get(session);
    if (identity === undefined)
      return { refused: "open the console with the link the npm start banner prints (it carries this session's code)" };
    const person = this.people.find((p) => p.identity === identity);
    if (person === undefined) return { refused: `${identity} is no longer a configured person` };
    return person;
  }

  choose(request: Request, identity: string): boolean {
    const session = sessionOf(request);
    if (session === undefined || !this.sessions.has(session)) return false;
    if (!this.people.some((p) => p.identity === identity)) return false;
    this.sessions.set(session, identity);
    return true;
  }
}

function loopbackHost(request: Request): boolean {
  return LOOPBACK.test(request.headers.get('host') ?? new URL(request.url).host);
}

function sessionOf(request: Request): string | undefined {
  const cookies = request.headers.get('cookie') ?? '';
  for (const part of cookies.split(';')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === COOKIE && value) return value;
  }
  return undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
