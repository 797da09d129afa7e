import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { colourEnabled, plain, status, table } from '../../../cli/format';
import { gantryWith, ROOT } from '../../support/cli';

/** Our environment without anything that points the SDK at an account, a region or a profile. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|GANTRY_|NO_COLOR|FORCE_COLOR)/.test(k)) env[k] = v;
  const home = mkdtempSync(join(tmpdir(), 'gantry-home-'));
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

describe('gantry --version', () => {
  it('prints the version in package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const out = await gantryWith({}, '--version');
    expect(out).toMatchObject({ code: 0, stdout: `${version}\n` });
  });
});

describe('choosing local mode or AWS', () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'gantry-cwd-'));

  it.each([
    ['runs', 'list'],
    ['audit', 'verify'],
  ])('`gantry %s %s` with no local plane and no region says how to choose, in one line', async (...args) => {
    const out = await gantryWith({ cwd: elsewhere, env: bareEnv() }, ...args);
    expect(out.code).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/npm start.*--region <region>, AWS_REGION, or --profile/);
    expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it('`gantry audit query` refuses a reversed period before it looks for a ledger, saying what to fix', async () => {
    const out = await gantryWith(
      { cwd: elsewhere, env: bareEnv() },
      ...['audit', 'query', '--from', '2026-08-12', '--to', '2026-08-10'],
    );
    expect(out).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--from 2026-08-12 comes after --to 2026-08-10: no event can match; swap them'),
    });
  });

  it.each([
    [['audit', 'query', '--limit', 'abc'], '--limit must be a whole number from 1 to 1000000, not abc'],
    [['runs', 'list', '--limit', '1e999'], '--limit must be a whole number from 1 to 200, not 1e999'],
    [['metrics', 'dora', '--failure-window', '1e999'], '--failure-window "1e999" is not a number of hours'],
  ])(
    '`gantry %j` refuses a count that would quietly mean no limit, before it looks for a plane',
    async (args, message) => {
      const out = await gantryWith({ cwd: elsewhere, env: bareEnv() }, ...args);
      expect(out).toMatchObject({ code: 2, stderr: expect.stringContaining(message) });
      expect(out.stderr).not.toMatch(/\n\s+at /);
    },
  );

  it('`gantry runs retry --accept-configuration` refuses what is no configuration digest before it looks for a plane', async () => {
    const out = await gantryWith(
      { cwd: elsewhere, env: bareEnv() },
      ...['runs', 'retry', 'abc123', '--reason', 'stack change', '--accept-configuration', 'sha256:ABC'],
    );
    expect(out).toMatchObject({
      code: 2,
      stderr: expect.stringContaining(
        '--accept-configuration takes the 64 lowercase hex digits its refusal names (gantry audit query --run <run> --type deploy.refused), not "sha256:ABC"',
      ),
    });
  });

  describe('with --profile', () => {
    let server: Server;
    const seen: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        seen.push(req.headers);
        req.resume().on('end', () => {
          // The operator API (runs) answers JSON; DynamoDB (the audit ledger) its own protocol.
          if (req.url?.startsWith('/runs')) {
            res.setHeader('content-type', 'application/json');
            res.end(JSON.stringify({ runs: [] }));
            return;
          }
          res.setHeader('content-type', 'application/x-amz-json-1.0');
          res.end(JSON.stringify({ Items: [], Count: 0, ScannedCount: 0 }));
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => server.close());

    /** A home with one profile, `auditor` (its key and region), whose calls go to the fake endpoint. */
    const auditorProfile = () => {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const env = bareEnv({ AWS_ENDPOINT_URL: url, GANTRY_OPERATOR_API_URL: url });
      writeFileSync(env.AWS_CONFIG_FILE ?? '', '[profile auditor]\nregion = eu-west-3\n');
      writeFileSync(
        env.AWS_SHARED_CREDENTIALS_FILE ?? '',
        '[auditor]\naws_access_key_id = AKIDPROFILEAUDITOR\naws_secret_access_key = not-a-real-secret\n',
      );
      return env;
    };

    it("signs with the profile's credentials in the profile's region", async () => {
      const env = auditorProfile();
      const out = await gantryWith({ cwd: elsewhere, env }, 'runs', 'list', '--profile', 'auditor');
      expect(out).toMatchObject({ code: 0, stdout: 'No runs yet.\n' });
      const call = seen.at(-1);
      expect(call?.authorization).toMatch(/Credential=AKIDPROFILEAUDITOR\/\d{8}\/eu-west-3\/execute-api\//);
      // The caller proof (a presigned sts:GetCallerIdentity) is signed with the same profile.
      expect(decodeURIComponent(String(call?.['x-gantry-caller-proof']))).toMatch(
        /AKIDPROFILEAUDITOR\/\d{8}\/eu-west-3\/sts\//,
      );
      // ...and names the API it was sent to, so the real one refuses it if that was a look-alike.
      const proof = new URLSearchParams(String(call?.['x-gantry-caller-proof']));
      expect(proof.get('X-Gantry-Audience')).toBe(`${env.GANTRY_OPERATOR_API_URL}/`);
      expect(proof.get('X-Amz-SignedHeaders')?.split(';')).toContain('x-gantry-proof-audience');
    });

    it('lets --region override the profile region', async () => {
      const env = auditorProfile();
      const out = await gantryWith(
        { cwd: elsewhere, env },
        'audit',
        'query',
        '--profile',
        'auditor',
        '--region',
        'ap-south-1',
      );
      expect(out.code).toBe(0);
      expect(seen.at(-1)?.authorization).toMatch(/\/ap-south-1\/dynamodb\//);
    });
  });

  it('writes a refusal that quotes what it was given with nothing a terminal would act on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gantry-refusal-'));
    writeFileSync(join(dir, 'body.json'), '{}');
    const out = await gantryWith(
      { env: bareEnv() },
      'webhook',
      'normalize',
      '--provider',
      'github',
      '--header',
      'x\u001b[2J\u202eevil',
      join(dir, 'body.json'),
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toBe('gantry: --header must look like "Name: value", got "x\\x1b[2J\\u202eevil"\n');
  });

  it('reports a failure it did not anticipate in one line, without a stack', async () => {
    const env = bareEnv({
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'example',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      AWS_MAX_ATTEMPTS: '1',
    });
    const out = await gantryWith({ cwd: elsewhere, env }, 'runs', 'list');
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/^gantry: .*ECONNREFUSED.*GANTRY_DEBUG=1 shows the stack\)\n$/);
  });
});

describe('status colours', () => {
  it('colour a status only on a terminal', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
  });

  it('honour NO_COLOR, even on a terminal, and FORCE_COLOR for a pipe', () => {
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).toBe(false);
  });

  it.each([
    ['FAILED', '31'],
    ['SUCCEEDED', '32'],
    ['waiting', '33'],
  ])('give %s its colour when on, and leave it plain when off', (text, code) => {
    expect(status(text, true)).toBe(`\u001b[${code}m${text}\u001b[39m`);
    expect(status(text, false)).toBe(text);
  });

  it('keep table columns aligned around coloured cells', () => {
    const lines = table(
      ['STATUS', 'RUN'],
      [
        [status('FAILED', true), 'a'],
        ['SUCCEEDED', 'b'],
      ],
    ).split('\n');
    const uncoloured = lines.map(plain);
    expect(lines[1]).not.toBe(uncoloured[1]);
    expect(uncoloured[1]?.indexOf('a')).toBe(uncoloured[2]?.indexOf('b'));
  });
});

describe('the Node.js version notice', () => {
  const node20 = Number(process.versions.node.split('.')[0]) < 22;

  it(`${node20 ? 'says in one line' : 'stays quiet'} that AWS SDK releases from 2027 need Node.js 22 (this is ${process.version})`, async () => {
    const env = bareEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined });
    const out = await gantryWith({ env }, '--version');
    expect(out.code).toBe(0);
    if (node20)
      expect(out.stderr).toMatch(
        /^gantry: note: Node\.js v20\.[\d.]+ is supported, but .* need Node\.js 22 or later\n$/,
      );
    else expect(out.stderr).toBe('');
  });

  it("is silenced by the SDK's own variable", async () => {
    const out = await gantryWith({ env: bareEnv() }, '--version');
    expect(out.stderr).toBe('');
  });
});

describe('the audit filter the CLI reads', () => {
  it('trims each field as the console does, and drops a blank one', async () => {
    const { auditFilterOf } = await import('../../../cli/commands/audit');
    expect(auditFilterOf({ repository: 'acme/payments ', actor: ' octocat', run: '  ', from: '2026-08-01' })).toEqual({
      repository: 'acme/payments',
      actor: 'octocat',
      from: '2026-08-01',
    });
  });
});
