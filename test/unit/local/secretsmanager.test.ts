import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  ListSecretsCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { type RunningEdge, startEdge } from '../../../local/edge/server';
import {
  LocalSecretNotFoundError,
  readLocalSecret,
  type SecretSpec,
  SecretsConfigError,
  SecretsFileError,
  SecretsManagerService,
  secretEnvVar,
} from '../../../local/secretsmanager';
import { SecretsManagerSecretSource, webhookSecretsOf } from '../../../shared/secrets/secrets';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const GITHUB = 'gantry/connections/github';
const PLAIN = 'gantry/plain';

/** As the template's ConnectionSecrets construct declares each connection secret. */
const SPECS: SecretSpec[] = [
  { name: GITHUB, generate: { template: '{}', key: 'webhookSecret', length: 40, excludePunctuation: true } },
  { name: PLAIN },
];

interface Harness {
  readonly service: SecretsManagerService;
  readonly client: SecretsManagerClient;
  readonly close: () => Promise<void>;
}

async function start(file: string, env: NodeJS.ProcessEnv = {}, secrets: SecretSpec[] = SPECS): Promise<Harness> {
  const service = new SecretsManagerService({ secrets, file, region: REGION, accountId: ACCOUNT, env });
  const edge: RunningEdge = await startEdge({ port: 0, services: [service] });
  const client = new SecretsManagerClient({
    region: REGION,
    endpoint: edge.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  return {
    service,
    client,
    close: async () => {
      client.destroy();
      await edge.close();
    },
  };
}

const fileMode = (file: string) => statSync(file).mode & 0o777;
const readJson = (file: string): Record<string, { current: string; previous?: string }> =>
  JSON.parse(readFileSync(file, 'utf8'));

describe('local Secrets Manager', () => {
  let dir: string;
  let file: string;
  let h: Harness;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-secrets-'));
    file = join(dir, '.gantry', 'secrets.json');
    h = await start(file);
  });

  afterEach(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (SecretId: string, more: { VersionStage?: string; VersionId?: string } = {}) =>
    h.client.send(new GetSecretValueCommand({ SecretId, ...more }));
  const put = (SecretString: string, ClientRequestToken?: string) =>
    h.client.send(new PutSecretValueCommand({ SecretId: GITHUB, SecretString, ClientRequestToken }));
  const restart = async (env: NodeJS.ProcessEnv = {}) => {
    await h.close();
    h = await start(file, env);
  };

  describe('the secrets file', () => {
    it('is created at first start, mode 0600, with a generated value per secret', () => {
      expect(fileMode(file)).toBe(0o600);
      const secrets = readJson(file);
      const github = JSON.parse(secrets[GITHUB]?.current ?? '');
      expect(Object.keys(github)).toEqual(['webhookSecret']);
      expect(github.webhookSecret).toMatch(/^[A-Za-z0-9]{40}$/);
      expect(secrets[PLAIN]?.current).toMatch(/^[A-Za-z0-9_-]{32}$/);
    });

    it('adds the template keys to the generated value', async () => {
      const template = '{"username":"gantry"}';
      const spec = { name: 'db', generate: { template, key: 'password', length: 12, excludePunctuation: false } };
      await h.close();
      h = await start(file, {}, [...SPECS, spec]);
      const value = JSON.parse(readJson(file).db?.current ?? '');
      expect(value).toEqual({ username: 'gantry', password: expect.stringMatching(/^[A-Za-z0-9_-]{12}$/) });
    });

    it('never replaces a value already there, and adds only the secrets missing from it', async () => {
      const before = readJson(file)[GITHUB]?.current;
      writeFileSync(file, JSON.stringify({ [GITHUB]: before, other: { current: 'hand-written' } }));
      await restart();
      const after = readJson(file);
      expect(after[GITHUB]?.current).toBe(before);
      expect(after.other?.current).toBe('hand-written');
      expect(after[PLAIN]?.current).toMatch(/^[A-Za-z0-9_-]{32}$/);
      expect(fileMode(file)).toBe(0o600);
    });

    it('keeps version ids across restarts', async () => {
      const first = await get(GITHUB);
      await restart();
      expect((await get(GITHUB)).VersionId).toBe(first.VersionId);
    });

    it('reports a file that is not JSON without quoting any of it', async () => {
      writeFileSync(file, '{"gantry/plain": "hunter2-topsecret"');
      await h.close();
      let error: unknown;
      try {
        h = await start(file);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(SecretsFileError);
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('topsecret');
      expect(String((error as Error).cause ?? '')).not.toContain('topsecret');
      rmSync(file);
      h = await start(file);
    });

    it('refuses two secret names that would share one environment variable', async () => {
      await h.close();
      await expect(start(file, {}, [...SPECS, { name: 'gantry-plain' }])).rejects.toBeInstanceOf(SecretsConfigError);
      h = await start(file);
    });
  });

  describe('GetSecretValue', () => {
    it('returns the current value with its ARN, version and stage, by name, ARN or partial ARN', async () => {
      const byName = await get(GITHUB);
      expect(byName).toMatchObject({
        Name: GITHUB,
        ARN: expect.stringMatching(
          new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:gantry/connections/github-[A-Za-z]{6}$`),
        ),
        VersionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        VersionStages: ['AWSCURRENT'],
        SecretString: readJson(file)[GITHUB]?.current,
      });
      expect(byName.CreatedDate).toBeInstanceOf(Date);
      const arn = byName.ARN ?? '';
      await expect(get(arn)).resolves.toMatchObject({ Name: GITHUB });
      await expect(get(arn.slice(0, -7))).resolves.toMatchObject({ Name: GITHUB });
    });

    it('answers AWSPREVIOUS before any rotation with the ResourceNotFoundException AWS gives', async () => {
      const failure = get(GITHUB, { VersionStage: 'AWSPREVIOUS' });
      await expect(failure).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(failure).rejects.toThrow(
        "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
      );
    });

    it('answers an unknown secret with ResourceNotFoundException', async () => {
      const failure = get('gantry/connections/nope');
      await expect(failure).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(failure).rejects.toThrow("Secrets Manager can't find the specified secret.");
    });

    it('serves the previous value the file holds, by stage or by version id', async () => {
      writeFileSync(file, JSON.stringify({ [GITHUB]: { current: 'new', previous: 'old' } }), { mode: 0o600 });
      await restart();
      const previous = await get(GITHUB, { VersionStage: 'AWSPREVIOUS' });
      expect(previous).toMatchObject({ SecretString: 'old', VersionStages: ['AWSPREVIOUS'] });
      await expect(get(GITHUB, { VersionId: previous.VersionId })).resolves.toMatchObject({ SecretString: 'old' });
      await expect(get(GITHUB, { VersionId: previous.VersionId, VersionStage: 'AWSCURRENT' })).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
      await expect(get(GITHUB, { VersionId: '00000000-0000-0000-0000-000000000000' })).rejects.toBeInstanceOf(
        ResourceNotFoundException,
      );
    });
  });

  describe('PutSecretValue', () => {
    it('makes the new value current and the old one previous, in the file too', async () => {
      const old = (await get(GITHUB)).SecretString;
      const out = await put('{"webhookSecret":"rotated"}');
      expect(out).toMatchObject({ Name: GITHUB, VersionStages: ['AWSCURRENT'] });
      await expect(get(GITHUB)).resolves.toMatchObject({
        SecretString: '{"webhookSecret":"rotated"}',
        VersionId: out.VersionId,
      });
      await expect(get(GITHUB, { VersionStage: 'AWSPREVIOUS' })).resolves.toMatchObject({ SecretString: old });
      expect(readJson(file)[GITHUB]).toMatchObject({ current: '{"webhookSecret":"rotated"}', previous: old });
      expect(fileMode(file)).toBe(0o600);
      await restart();
      await expect(get(GITHUB)).resolves.toMatchObject({
        VersionId: out.VersionId,
        SecretString: '{"webhookSecret":"rotated"}',
      });
    });

    it('treats a retry with the same token as done, and the same token with another value as a conflict', async () => {
      const token = 'a'.repeat(32);
      await put('one', token);
      await put('one', token);
      await expect(get(GITHUB, { VersionStage: 'AWSPREVIOUS' })).resolves.not.toMatchObject({ SecretString: 'one' });
      await expect(put('two', token)).rejects.toBeInstanceOf(ResourceExistsException);
    });

    it('refuses an unknown secret', async () => {
      await expect(
        h.client.send(new PutSecretValueCommand({ SecretId: 'nope', SecretString: 'x' })),
      ).rejects.toBeInstanceOf(ResourceNotFoundException);
    });
  });

  describe('environment overrides', () => {
    it('names the variable after the secret, upper-cased, other characters as underscores', () => {
      expect(secretEnvVar(GITHUB)).toBe('GANTRY_SECRET_GANTRY_CONNECTIONS_GITHUB');
    });

    it('serves the variable instead of the file, without touching the file', async () => {
      const before = readFileSync(file, 'utf8');
      const env = { [secretEnvVar(GITHUB)]: '{"webhookSecret":"from-env"}' };
      await restart(env);
      await expect(get(GITHUB)).resolves.toMatchObject({ SecretString: '{"webhookSecret":"from-env"}' });
      await expect(get(GITHUB, { VersionStage: 'AWSPREVIOUS' })).rejects.toBeInstanceOf(ResourceNotFoundException);
      await expect(put('x')).rejects.toBeInstanceOf(InvalidRequestException);
      expect(readFileSync(file, 'utf8')).toBe(before);
      expect(readLocalSecret(file, GITHUB, env)).toBe('{"webhookSecret":"from-env"}');
    });
  });

  describe('DescribeSecret and ListSecrets', () => {
    it('describes versions and their stages', async () => {
      const first = await get(GITHUB);
      const second = await put('{"webhookSecret":"next"}');
      const out = await h.client.send(new DescribeSecretCommand({ SecretId: GITHUB }));
      expect(out.VersionIdsToStages).toEqual({
        [second.VersionId ?? '']: ['AWSCURRENT'],
        [first.VersionId ?? '']: ['AWSPREVIOUS'],
      });
      expect(out.CreatedDate).toBeInstanceOf(Date);
    });

    it('lists secrets by name prefix, a page at a time', async () => {
      const all = await h.client.send(new ListSecretsCommand({}));
      expect(all.SecretList?.map((s) => s.Name)).toEqual([GITHUB, PLAIN]);
      const filtered = await h.client.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['gantry/connections/'] }] }),
      );
      expect(filtered.SecretList?.map((s) => s.Name)).toEqual([GITHUB]);
      const page = await h.client.send(new ListSecretsCommand({ MaxResults: 1 }));
      const next = await h.client.send(new ListSecretsCommand({ MaxResults: 1, NextToken: page.NextToken }));
      expect([page.SecretList?.[0]?.Name, next.SecretList?.[0]?.Name, next.NextToken]).toEqual([
        GITHUB,
        PLAIN,
        undefined,
      ]);
      await expect(
        h.client.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['x'] }] })),
      ).rejects.toBeInstanceOf(InvalidRequestException);
    });
  });

  it('answers operations it does not emulate with UnknownOperationException', async () => {
    await expect(h.client.send(new CreateSecretCommand({ Name: 'new', SecretString: 'x' }))).rejects.toMatchObject({
      name: 'UnknownOperationException',
    });
  });

  describe('readLocalSecret', () => {
    it('reads the current value from the file without HTTP', async () => {
      await put('{"webhookSecret":"for-the-demo"}');
      expect(readLocalSecret(file, GITHUB, {})).toBe('{"webhookSecret":"for-the-demo"}');
    });

    it('throws a typed error for a secret that is nowhere', () => {
      expect(() => readLocalSecret(file, 'nope', {})).toThrow(LocalSecretNotFoundError);
    });
  });

  describe('with the receiver adapter SecretsManagerSecretSource', () => {
    it('reads the current webhook secret, then both during a rotation', async () => {
      let now = 0;
      const source = new SecretsManagerSecretSource(h.client, 60_000, () => now);
      const original = JSON.parse((await get(GITHUB)).SecretString ?? '').webhookSecret;
      expect(webhookSecretsOf(await source.connectionSecrets(GITHUB))).toEqual([original]);
      await put('{"webhookSecret":"rotated","apiToken":"t"}');
      now = 60_001;
      const during = await source.connectionSecrets(GITHUB);
      expect(webhookSecretsOf(during)).toEqual(['rotated', original]);
      expect(during.current.apiToken).toBe('t');
      // Local mode, like AWS, says when the current version was created: the rotation's time.
      expect(Math.abs((during.rotatedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(60_000);
    });
  });
});
