import { join } from 'node:path';
import { accountLines } from '../../../cli/local/up';
import { loadGantryConfig } from '../../../infra/config/load';

const config = loadGantryConfig(join(import.meta.dirname, '..', '..', '..', 'gantry.config.yaml'));

describe('gantry local up: the accounts line of its banner', () => {
  it('says which local account each environment of the shipped config releases into', () => {
    expect(accountLines(config)).toEqual([
      "  Accounts      000000000000 (the control plane's): dev, preview, staging",
      "                222222222222 (assumed through STS, the GantryTarget stack's deploy role): prod",
    ]);
  });

  it('says nothing when every target lives in the control plane account', () => {
    const { controlPlane: _, ...rest } = config;
    const home = {
      ...rest,
      pipelines: config.pipelines.map((p) => ({
        ...p,
        environments: p.environments.map((e) =>
          e.deploy === undefined ? e : { ...e, deploy: { ...e.deploy, account: undefined } },
        ),
      })),
    };
    expect(accountLines(home)).toEqual([]);
  });
});
