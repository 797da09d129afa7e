import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RuntimeInfo, writeRuntimeInfo } from '../../../local/discovery';
import { gantryWith } from '../../support/cli';

/** Our environment without anything that points the SDK at an account, a region or a profile. */
function bareEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|GANTRY_)/.test(k)) env[k] = v;
  const home = mkdtempSync(join(tmpdir(), 'gantry-home-'));
  return {
    ...env,
    HOME: home,
    AWS_CONFIG_FILE: join(home, 'config'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
}

/** A server that answers as a local plane would: credentials, then no runs and a verified ledger. */
async function listening(host: string, seen: string[]): Promise<Server> {
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    req.resume().on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/_gantry/credentials') res.end(JSON.stringify({ accessKeyId: 'AKID', secretAccessKey: 's' }));
      else if (req.url?.startsWith('/runs')) res.end(JSON.stringify({ runs: [] }));
      else res.end(JSON.stringify({ Items: [], Count: 0, ScannedCount: 0, decision: 'approve' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return server;
}

function urlOf(server: Server, host: string): string {
  return `http://${host}:${(server.address() as AddressInfo).port}`;
}

function runtime(url: string, over: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return {
    pid: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    region: 'us-east-1',
    accountId: '000000000000',
    webhookUrl: url,
    awsEndpoint: url,
    dataDir: '.gantry',
    operatorApiUrl: 'https://abc123.execute-api.us-east-1.amazonaws.com/prod/',
    ...over,
  };
}

/** A checkout carrying its own `.gantry/runtime.json`, as a repository can commit one. */
function checkout(info: RuntimeInfo, mode: number): string {
  const repo = mkdtempSync(join(tmpdir(), 'gantry-checkout-'));
  mkdirSync(join(repo, '.gantry'));
  writeFileSync(join(repo, '.gantry', 'runtime.json'), JSON.stringify(info), { mode });
  return repo;
}

describe("a checkout's .gantry/runtime.json", () => {
  // 127.0.0.2 is no host a local plane listens on: it stands for https://evil here.
  const seen: string[] = [];
  let attacker: Server;
  beforeAll(async () => {
    attacker = await listening('127.0.0.2', seen);
  });
  afterAll(() => attacker.close());
  beforeEach(() => {
    seen.length = 0;
  });

  it.each([
    [['audit', 'verify']],
    [['provenance', 'verify', 'abc123']],
    [['runs', 'approve', 'abc123', '--reason', 'ok', '--as', 'ops']],
  ])('does not take over `gantry %j`: it is refused for its mode, and nothing is sent', async (args) => {
    const repo = checkout(runtime(urlOf(attacker, '127.0.0.2')), 0o644);
    const out = await gantryWith({ cwd: repo, env: bareEnv() }, ...args);
    expect(out).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(
        /not using \.gantry\/runtime\.json: its mode is 0644, not 0600\..*--data-dir <your local plane's folder>, or --region <region> for AWS\n$/,
      ),
    });
    expect(seen).toEqual([]);
  });

  it('is refused for a URL that is not loopback, even when private to this user', async () => {
    const repo = checkout(runtime(urlOf(attacker, '127.0.0.2'), { pid: process.pid }), 0o600);
    const out = await gantryWith({ cwd: repo, env: bareEnv() }, 'audit', 'verify');
    expect(out).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('its awsEndpoint is "http://127.0.0.2:'),
    });
    expect(seen).toEqual([]);
  });
});

describe('a local plane found while AWS_REGION or AWS_PROFILE is set', () => {
  const seen: string[] = [];
  let plane: Server;
  beforeAll(async () => {
    plane = await listening('127.0.0.1', seen);
  });
  afterAll(() => plane.close());

  it('is used, and stderr says so and how to reach AWS instead', async () => {
    const data = mkdtempSync(join(tmpdir(), 'gantry-plane-'));
    writeRuntimeInfo(data, runtime(urlOf(plane, '127.0.0.1'), { pid: process.pid, dataDir: data }));
    const out = await gantryWith(
      { cwd: data, env: bareEnv({ AWS_REGION: 'eu-west-1', GANTRY_DATA_DIR: data }) },
      'runs',
      'list',
    );
    expect(out).toMatchObject({
      code: 0,
      stdout: 'No runs yet.\n',
      stderr: `gantry: using the local control plane of ${data}/, not AWS, although AWS_REGION is set: pass --region or --profile for AWS\n`,
    });
    expect(seen).toContain('GET /runs?limit=20');
  });
});
