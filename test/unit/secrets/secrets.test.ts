import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  SecretsManagerSecretSource,
  SecretsManagerTokenSource,
  SecretUnavailableError,
  webhookSecretsOf,
} from '../../../shared/secrets/secrets';

const secretsManager = mockClient(SecretsManagerClient);
const notFound = () => new ResourceNotFoundException({ message: 'no such version', $metadata: {} });

describe('SecretsManagerSecretSource', () => {
  let now = 0;
  const source = () =>
    new SecretsManagerSecretSource(new SecretsManagerClient({ region: 'eu-west-1' }), 300_000, () => now);

  beforeEach(() => {
    secretsManager.reset();
    now = 0;
  });

  it('reads the current and previous values, current first', async () => {
    secretsManager
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({
        SecretString: '{"webhookSecret":"new","apiToken":"t"}',
        CreatedDate: new Date('2026-11-23T09:00:00Z'),
      })
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .resolves({ SecretString: 'old' });
    const secrets = await source().connectionSecrets('gantry/connections/a');
    expect(webhookSecretsOf(secrets)).toEqual(['new', 'old']);
    expect(secrets.current.apiToken).toBe('t');
    // The previous value verifies only within the window after the rotation (the current version's creation).
    const window = (iso: string) => ({ now: new Date(iso), previousForMs: 24 * 3_600_000 });
    expect(webhookSecretsOf(secrets, window('2026-11-24T08:59:59Z'))).toEqual(['new', 'old']);
    expect(webhookSecretsOf(secrets, window('2026-11-24T09:00:01Z'))).toEqual(['new']);
    expect(webhookSecretsOf({ ...secrets, rotatedAt: undefined }, window('2026-11-23T09:00:01Z'))).toEqual(['new']);
  });

  it('works with no previous value', async () => {
    secretsManager
      .on(GetSecretValueCommand, { VersionStage: 'AWSCURRENT' })
      .resolves({ SecretString: 'only' })
      .on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' })
      .rejects(notFound());
    await expect(source().connectionSecrets('s').then(webhookSecretsOf)).resolves.toEqual(['only']);
  });

  it('reads Secrets Manager once per time-to-live, however many deliveries arrive', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: 'v' });
    const s = source();
    await Promise.all(Array.from({ length: 50 }, () => s.connectionSecrets('s')));
    now = 299_999;
    await s.connectionSecrets('s');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    now = 300_001;
    await s.connectionSecrets('s');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(4);
  });

  it('does not cache a failed read', async () => {
    secretsManager.on(GetSecretValueCommand).rejectsOnce(new Error('throttled')).resolves({ SecretString: 'v' });
    const s = source();
    await expect(s.connectionSecrets('s')).rejects.toBeInstanceOf(SecretUnavailableError);
    await expect(s.connectionSecrets('s').then(webhookSecretsOf)).resolves.toEqual(['v', 'v']);
  });

  it.each([
    ['JSON without webhookSecret', '{"apiToken":"x"}'],
    ['broken JSON', '{"webhookSecret":'],
    ['an empty string', ''],
  ])('refuses a secret holding %s, without echoing it', async (_, value) => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });
    const error = await source()
      .connectionSecrets('s')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretUnavailableError);
    if (value !== '') expect(String((error as Error).message)).not.toContain(value);
  });
});

describe('SecretsManagerTokenSource', () => {
  let now = 0;
  let legacyReads: string[] = [];
  const source = () => {
    const client = new SecretsManagerClient({ region: 'eu-west-1' });
    return new SecretsManagerTokenSource(client, new SecretsManagerSecretSource(client, 300_000, () => now), 300_000, {
      now: () => now,
      onLegacy: (id) => legacyReads.push(id),
    });
  };

  const legacy = '{"webhookSecret":"w","apiToken":"old-place"}';

  beforeEach(() => {
    secretsManager.reset();
    now = 0;
    legacyReads = [];
  });

  it("reads the token from its own secret, never the connection's (which the webhook receiver reads)", async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a/api-token' })
      .resolves({ SecretString: '{"apiToken":"own"}' })
      .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a' })
      .resolves({ SecretString: legacy });
    await expect(source().apiToken('gantry/connections/a')).resolves.toBe('own');
    expect(secretsManager.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input.SecretId)).toEqual([
      'gantry/connections/a/api-token',
    ]);
    expect(legacyReads).toEqual([]);
    // The bare token works too.
    secretsManager.reset();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: ' bare \n' });
    await expect(source().apiToken('gantry/connections/a')).resolves.toBe('bare');
  });

  it('reads a connection set up before tokens had their own secret where it keeps it, until the token moves', async () => {
    // As deployed ({}), or with no token secret at all.
    for (const own of [{ SecretString: '{}' }, { SecretString: '{"apiToken":"  "}' }, notFound()]) {
      secretsManager.reset();
      const first = secretsManager.on(GetSecretValueCommand, { SecretId: 'gantry/connections/a/api-token' });
      if (own instanceof Error) first.rejects(own);
      else first.resolves(own);
      secretsManager
        .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a', VersionStage: 'AWSCURRENT' })
        .resolves({ SecretString: legacy })
        .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a', VersionStage: 'AWSPREVIOUS' })
        .rejects(notFound());
      await expect(source().apiToken('gantry/connections/a')).resolves.toBe('old-place');
    }
    // Each read there is told (the functions log it, saying where to move the token).
    expect(legacyReads).toEqual(['gantry/connections/a', 'gantry/connections/a', 'gantry/connections/a']);
  });

  it('has no token when neither secret holds one, and refuses a token secret it cannot read', async () => {
    secretsManager
      .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a/api-token' })
      .resolves({ SecretString: '{}' })
      .on(GetSecretValueCommand, { SecretId: 'gantry/connections/a' })
      .resolves({ SecretString: '{"webhookSecret":"w"}' });
    await expect(source().apiToken('gantry/connections/a')).resolves.toBeUndefined();
    for (const [value, reason] of [
      ['{"apiToken": 7}', /gantry\/connections\/a\/api-token is unavailable: its apiToken is not a string/],
      [
        '{"apiToken": ',
        /gantry\/connections\/a\/api-token is unavailable: its value looks like JSON but does not parse/,
      ],
    ] as const) {
      secretsManager.reset();
      secretsManager.on(GetSecretValueCommand).resolves({ SecretString: value });
      await expect(source().apiToken('gantry/connections/a')).rejects.toThrow(reason);
    }
    secretsManager.reset();
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await expect(source().apiToken('gantry/connections/a')).rejects.toBeInstanceOf(SecretUnavailableError);
  });

  it('reads Secrets Manager once per time-to-live', async () => {
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{"apiToken":"own"}' });
    const s = source();
    await Promise.all(Array.from({ length: 20 }, () => s.apiToken('gantry/connections/a')));
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    now = 300_001;
    await s.apiToken('gantry/connections/a');
    expect(secretsManager.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });
});
