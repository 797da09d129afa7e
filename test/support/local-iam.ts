import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GantryConfig } from '../../infra/config/schema';
import { arnLookups, LocalIam, templateIam } from '../../local/iam';
import { localAccountId } from '../../local/services/context';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';

/** Local IAM as `npm start` builds it from a config's synthesized templates; `close` removes its decisions file. */
export function localIamOf(config: GantryConfig, region: string) {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-'));
  const resolver = new TemplateResolver(synthTemplates(config), {
    region,
    accountId: localAccountId(config),
    edgeEndpoint: 'http://127.0.0.1:4566',
  });
  const iam = new LocalIam({ iam: templateIam(resolver), arns: arnLookups(resolver, [], []), dataDir });
  return {
    resolver,
    iam,
    close: () => {
      iam.flush();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
