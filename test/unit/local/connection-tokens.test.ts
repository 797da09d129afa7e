import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseGantryConfig } from '../../../infra/config/load';
import { SecretsManagerService } from '../../../local/secretsmanager';
import { connectionTokens } from '../../../local/secretsmanager/connection-tokens';

/**
 * The local fake provider answers only calls that present a connection's API token (it serves
 * archives of your working trees to anything on the machine). Which values count as one: never
 * a connection secret's bare value, which is the webhook secret providers sign deliveries with.
 */
describe('the tokens the local fake provider accepts', () => {
  const config = parseGantryConfig(
    [
      'connections:',
      '  - { name: gh, provider: github }',
      '  - { name: gl, provider: gitlab }',
      '  - { name: az, provider: azure-devops, apiUrl: https://dev.azure.com/acme }',
      '  - { name: bb, provider: bitbucket-cloud }',
      'pipelines: []',
      '',
    ].join('\n'),
    'g.yaml',
  );
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-tokens-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("takes each connection's own token secret (JSON or bare) and a legacy apiToken, never a webhook secret", () => {
    const secrets = new SecretsManagerService({
      file: join(dir, 'secrets.json'),
      region: 'eu-west-1',
      accountId: '000000000000',
      env: {},
      secrets: [
        // Its own secret, as JSON and bare.
        { name: 'gantry/connections/gh/api-token', value: '{"apiToken":" tok-json "}' },
        { name: 'gantry/connections/gl/api-token', value: 'tok-bare' },
        // Set up before tokens had their own secret: the connection secret's apiToken counts, its webhook secret not.
        { name: 'gantry/connections/az', value: '{"webhookSecret":"whsec-az","apiToken":"tok-legacy"}' },
        // A bare connection secret is the webhook secret alone; a token secret that does not parse names nothing.
        { name: 'gantry/connections/bb', value: 'whsec-bare' },
        { name: 'gantry/connections/bb/api-token', value: '{not json' },
      ],
    });
    expect([...connectionTokens(config, secrets)].sort()).toEqual(['tok-bare', 'tok-json', 'tok-legacy']);
  });
});
