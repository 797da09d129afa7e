import { createHash } from 'node:crypto';
import {
  configurationDigest,
  describeConfigurationChanges,
  environmentDigest,
  environmentValueTags,
} from '../../../shared/deploy/configuration';
import type { FunctionConfiguration } from '../../../shared/deploy/ports';

const LAYER = 'arn:aws:lambda:us-east-1:123456789012:layer:extra:1';

/** A configuration as the AWS adapter reads it from these variables. */
function configuration(variables: Record<string, string>, more: Partial<FunctionConfiguration> = {}) {
  return {
    handler: 'src/lambda.handler',
    runtime: 'nodejs22.x',
    layers: [],
    environmentKeys: Object.keys(variables).sort(),
    environmentSha256: environmentDigest(variables),
    environmentValueTags: environmentValueTags(variables),
    ...more,
  };
}

describe('configurationDigest', () => {
  it('is the SHA-256 of the documented JSON, so an operator can recompute it', () => {
    const c = configuration({ SERVICE_NAME: 'sample' }, { layers: [LAYER] });
    const documented = `{"layers":["${LAYER}"],"handler":"src/lambda.handler","runtime":"nodejs22.x","environmentSha256":"${c.environmentSha256}"}`;
    expect(configurationDigest(c)).toBe(createHash('sha256').update(documented).digest('hex'));
  });

  it('changes with any layer, its order, the handler, the runtime or an environment value; not with value tags', () => {
    const base = configuration({ SERVICE_NAME: 'sample' }, { layers: [LAYER, `${LAYER}0`] });
    const digests = [
      base,
      { ...base, layers: [`${LAYER}0`, LAYER] },
      { ...base, handler: '/opt/evil.handler' },
      { ...base, runtime: 'nodejs20.x' },
      configuration({ SERVICE_NAME: 'other' }, { layers: base.layers }),
    ].map(configurationDigest);
    expect(new Set(digests).size).toBe(digests.length);
    expect(configurationDigest({ ...base, environmentValueTags: {} })).toBe(configurationDigest(base));
  });
});

describe('describeConfigurationChanges', () => {
  it('names layers, handler, runtime and variables added, removed or changed, never a value', () => {
    const live = configuration({ SERVICE_NAME: 'sample', LOG_LEVEL: 'info', OLD: 'x' }, { layers: [`${LAYER}0`] });
    const next = configuration(
      { SERVICE_NAME: 'sample', LOG_LEVEL: 'debug-secret-value', NODE_OPTIONS: '--require /opt/evil.js' },
      { layers: [LAYER], handler: 'x.handler', runtime: 'nodejs20.x' },
    );
    const said = describeConfigurationChanges(live, next);
    expect(said).toEqual([
      `layers added: ${LAYER}`,
      `layers removed: ${LAYER}0`,
      'handler src/lambda.handler → x.handler',
      'runtime nodejs22.x → nodejs20.x',
      'environment variables added: NODE_OPTIONS',
      'environment variables removed: OLD',
      'environment variables with another value: LOG_LEVEL',
    ]);
    expect(said.join(' ')).not.toMatch(/evil\.js|debug-secret-value/);
  });

  it('says the environment changed, without naming, when the values cannot be told apart', () => {
    const live = configuration({ A: '1' }, { environmentValueTags: undefined });
    const next = configuration({ A: '2' }, { environmentValueTags: undefined });
    expect(describeConfigurationChanges(live, next)).toEqual([
      'environment values changed (which variables could not be told)',
    ]);
    expect(describeConfigurationChanges(live, live)).toEqual([]);
  });
});
