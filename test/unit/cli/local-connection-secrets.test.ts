import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seedLocalConnectionSecrets } from '../../../cli/local/connection-secrets';
import { pushDelivery } from '../../../cli/local/push-payloads';
import type { GantryConfig } from '../../../infra/config/schema';
import { readLocalSecret } from '../../../local/secretsmanager';
import { adapterFor } from '../../../shared/webhooks/normalize';
import { normalizeHeaders } from '../../../shared/webhooks/request';

const CONFIG = {
  connections: [
    { name: 'github-demo', provider: 'github' },
    { name: 'ado-local', provider: 'azure-devops', apiUrl: 'https://dev.azure.com/gantry-labs' },
  ],
  pipelines: [],
} as unknown as GantryConfig;

describe('seedLocalConnectionSecrets', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-seed-'));
    file = join(dir, '.gantry', 'secrets.json');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const secretOf = (name: string) =>
    JSON.parse(readLocalSecret(file, `gantry/connections/${name}`, {})) as { webhookSecret: string; apiToken?: string };

  it('gives an azure-devops connection a user:password webhook secret that its Basic authentication verifies', () => {
    seedLocalConnectionSecrets(CONFIG, file);
    const { webhookSecret, apiToken } = secretOf('ado-local');

    expect(webhookSecret).toMatch(/^gantry:[A-Za-z0-9]{40}$/);
    // The token is in its own secret (seeded at first start from the template), never beside the webhook secret.
    expect(apiToken).toBeUndefined();
    const push = {
      repository: 'Platform/gantry-demo',
      cloneUrl: 'file:///repo',
      branch: 'main',
      before: '0'.repeat(40),
      after: 'a'.repeat(40),
      commits: [],
      pusher: 'ada',
    };
    const { body, headers } = pushDelivery('azure-devops', push, webhookSecret, 'delivery-1');
    const request = { provider: 'azure-devops' as const, headers: normalizeHeaders(headers), body };
    expect(adapterFor('azure-devops').verify(request, [webhookSecret])).toBe('valid');
  });

  it('leaves the other connections to the generated demo values', () => {
    seedLocalConnectionSecrets(CONFIG, file);

    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['gantry/connections/ado-local']);
  });

  it('never replaces a value already in the file', () => {
    seedLocalConnectionSecrets(CONFIG, file);
    const first = readFileSync(file, 'utf8');
    seedLocalConnectionSecrets(CONFIG, file);
    expect(readFileSync(file, 'utf8')).toBe(first);

    writeFileSync(file, JSON.stringify({ 'gantry/connections/ado-local': '{"webhookSecret":"me:mine"}' }));
    seedLocalConnectionSecrets(CONFIG, file);
    expect(secretOf('ado-local').webhookSecret).toBe('me:mine');
  });
});
