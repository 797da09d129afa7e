import { statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListEventBusesCommand } from '@aws-sdk/client-eventbridge';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { operatorHeaders, startTestPlane, type TestPlane } from '../support/local';

interface Answer {
  readonly status: number;
  readonly text: string;
}

/** A raw request, so the Host header can be anything (fetch always sends the URL's). */
function raw(url: string, headers: Record<string, string>, method = 'GET', body = ''): Promise<Answer> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, path: `${target.pathname}${target.search}`, method, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('local mode is safe on a shared machine', () => {
  let t: TestPlane;
  beforeAll(async () => {
    t = await startTestPlane();
    // Start-up synthesizes the CDK app: minutes on a loaded 2-core machine.
  }, 240_000);
  afterAll(() => t?.close());

  /** Every server the control plane listens on, with a path that answers 200 to its rightful caller. */
  const servers = () => [
    { name: 'edge', url: `${t.plane.awsEndpoint}/_gantry/health`, headers: operatorHeaders(t.plane) },
    { name: 'front door', url: `${t.plane.webhookUrl}/`, headers: {} },
    { name: 'fake providers', url: `${t.plane.providers.url}/github/nothing-here`, headers: {} },
    { name: 'deployed service', url: `${t.plane.serviceEndpoints[0]?.url ?? 'http://none'}/`, headers: {} },
  ];

  it('keeps its data folder 0700 and runtime.json and the aws profile files 0600', () => {
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(t.dataDir)).toBe(0o700);
    expect(mode(join(t.dataDir, 'runtime.json'))).toBe(0o600);
    expect(mode(join(t.dataDir, 'aws'))).toBe(0o700);
    expect(mode(join(t.dataDir, 'aws', 'config'))).toBe(0o600);
    expect(mode(join(t.dataDir, 'aws', 'credentials'))).toBe(0o600);
  });

  it.each(['evil.example:PORT', 'evil.example', '127.0.0.1.evil.example:PORT', '127.0.0.1:1'])(
    'refuses a foreign Host header (%s, the DNS-rebinding shape) on every server with 421',
    async (host) => {
      for (const server of servers()) {
        const port = new URL(server.url).port;
        const answer = await raw(server.url, { ...server.headers, host: host.replace('PORT', port) });
        expect({ server: server.name, status: answer.status }).toEqual({ server: server.name, status: 421 });
        expect(answer.text).toContain('is not this local server');
      }
    },
  );

  it('answers its rightful caller on every loopback name, so the Host check is what refuses the others', async () => {
    for (const server of servers()) {
      const port = new URL(server.url).port;
      for (const name of ['127.0.0.1', 'localhost', '[::1]']) {
        const answer = await raw(server.url, { ...server.headers, host: `${name}:${port}` });
        expect({ server: server.name, name, refused: answer.status === 421 || answer.status === 403 }).toEqual({
          server: server.name,
          name,
          refused: false,
        });
      }
    }
  });

  it('refuses a request from a foreign web origin on every server with 403', async () => {
    for (const server of servers()) {
      const host = new URL(server.url).host;
      const answer = await raw(server.url, { ...server.headers, host, origin: 'https://evil.example' });
      expect({ server: server.name, status: answer.status }).toEqual({ server: server.name, status: 403 });
      expect(answer.text).toContain('Origin https://evil.example may not call');
    }
  });

  it('refuses the edge’s operator routes without the session token, and with a wrong one', async () => {
    for (const path of ['/_gantry/health', '/_gantry/events', '/_gantry/notifications', '/_gantry/services']) {
      const none = await fetch(new URL(path, t.plane.awsEndpoint));
      expect({ path, status: none.status }).toEqual({ path, status: 401 });
      const wrong = await fetch(new URL(path, t.plane.awsEndpoint), {
        headers: { authorization: `Bearer ${t.plane.token.slice(1)}x` },
      });
      expect({ path, status: wrong.status }).toEqual({ path, status: 401 });
      const right = await fetch(new URL(path, t.plane.awsEndpoint), { headers: operatorHeaders(t.plane) });
      expect({ path, status: right.status }).toEqual({ path, status: 200 });
    }
  });

  it("serves the fake provider's archives and statuses only to a connection's token, as a real provider would", async () => {
    const { readLocalSecret } = await import('../../local/secretsmanager');
    const { apiToken } = JSON.parse(
      readLocalSecret(join(t.dataDir, 'secrets.json'), 'gantry/connections/github-demo/api-token', process.env),
    ) as { apiToken: string };
    const archive = `${t.plane.providers.url}/github/repos/gantry-demo/sample-service/zipball/${'a'.repeat(40)}`;
    const status = `${t.plane.providers.url}/github/repos/gantry-demo/sample-service/statuses/${'a'.repeat(40)}`;
    for (const authorization of ['Bearer x', `Bearer ${apiToken}x`, `Basic ${Buffer.from(':x').toString('base64')}`]) {
      expect((await fetch(archive, { headers: { authorization } })).status).toBe(401);
      const posted = await fetch(status, {
        method: 'POST',
        headers: { authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'success', context: 'gantry/forged', description: 'looks fine' }),
      });
      expect(posted.status).toBe(401);
    }
    expect(t.plane.providers.statuses().filter((s) => s.context === 'gantry/forged')).toEqual([]);
    // The connection's own token gets the provider's answer (no such commit here), not a refusal.
    expect((await fetch(archive, { headers: { authorization: `Bearer ${apiToken}` } })).status).toBe(404);
  });

  it('lets no unsigned caller register a repository with the fake provider', async () => {
    const res = await fetch(new URL('/_gantry/provider/repositories', t.plane.awsEndpoint), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'github', fullName: 'evil/repo', dir: '/tmp' }),
    });
    expect(res.status).toBe(401);
  });

  it('refuses an unsigned AWS call, naming what to send', async () => {
    const res = await fetch(t.plane.awsEndpoint, {
      method: 'POST',
      headers: { 'x-amz-target': 'secretsmanager.GetSecretValue', 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ SecretId: 'gantry/connections/github-demo' }),
    });
    expect(res.status).toBe(403);
    const body = (await res.json()) as { __type: string; message: string };
    expect(body.__type).toContain('MissingAuthenticationTokenException');
    expect(body.message).toContain('.gantry/runtime.json');
  });

  it('refuses an unsigned S3 write with S3’s XML error', async () => {
    const bucket = t.plane.inventory.buckets[0] ?? 'none';
    const res = await fetch(`${t.plane.awsEndpoint}/${bucket}/planted`, { method: 'PUT', body: 'malicious' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>AccessDenied</Code>');
  });

  const client = (credentials: { accessKeyId: string; secretAccessKey: string }) => ({
    endpoint: t.plane.awsEndpoint,
    region: t.plane.region,
    credentials,
    maxAttempts: 1,
  });

  it('refuses an SDK call signed with keys it never issued, for JSON and S3 alike', async () => {
    const stranger = { accessKeyId: 'AKIASTRANGER000001', secretAccessKey: 'not-ours' };
    await expect(
      new SecretsManagerClient(client(stranger)).send(
        new GetSecretValueCommand({ SecretId: 'gantry/connections/github-demo' }),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
    await expect(
      new S3Client({ ...client(stranger), forcePathStyle: true }).send(new ListBucketsCommand({})),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId' });
  });

  it.each([
    ['local', 'local'],
    ['gantry-local', 'gantry-local'],
  ])('refuses the well-known key pair %s/%s that local processes once shared', async (accessKeyId, secretAccessKey) => {
    // Anyone on the machine knows these: were they accepted, they would act unrestricted.
    const known = { accessKeyId, secretAccessKey };
    await expect(
      new SecretsManagerClient(client(known)).send(
        new GetSecretValueCommand({ SecretId: 'gantry/connections/github-demo' }),
      ),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  it('refuses a call straight to dynalite’s port, around the edge: only the edge holds its secret', async () => {
    // dynalite verifies no signature, so the operator's own valid keys must not get through either.
    const direct = { ...client(t.plane.operator), endpoint: t.plane.dynamoDbEndpoint };
    await expect(new DynamoDBClient(direct).send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403 },
    });
    // Through the edge, the same call is served.
    const listed = await new DynamoDBClient(client(t.plane.operator)).send(new ListTablesCommand({}));
    expect(listed.TableNames).toContain('gantry-runs');
  });

  it('refuses the operator’s access key signed with another secret', async () => {
    const guessed = { accessKeyId: t.plane.operator.accessKeyId, secretAccessKey: 'guessed' };
    await expect(new EventBridgeClient(client(guessed)).send(new ListEventBusesCommand({}))).rejects.toMatchObject({
      name: 'InvalidSignatureException',
    });
    await expect(
      new S3Client({ ...client(guessed), forcePathStyle: true }).send(new ListBucketsCommand({})),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
  });

  it('refuses a signed request whose body was changed on the way', async () => {
    const { SignatureV4 } = await import('@smithy/signature-v4');
    const { Sha256 } = await import('@aws-crypto/sha256-js');
    const endpoint = new URL(t.plane.awsEndpoint);
    const signer = new SignatureV4({
      credentials: t.plane.operator,
      region: t.plane.region,
      service: 'events',
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path: '/',
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.ListEventBuses',
      },
      body: '{}',
    });
    const headers = signed.headers as Record<string, string>;
    const honest = await raw(t.plane.awsEndpoint, headers, 'POST', '{}');
    expect(honest.status).toBe(200);
    const tampered = await raw(t.plane.awsEndpoint, headers, 'POST', '{"Limit":99}');
    expect(tampered.status).toBe(403);
    expect(tampered.text).toContain('InvalidSignatureException');
  });

  it('serves a call signed with the operator credentials', async () => {
    const buses = await new EventBridgeClient(client(t.plane.operator)).send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((b) => b.Name)).toContain('default');
  });
});
