import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CommandFailed } from '../../../cli/errors';
import { accountLines, untilStopped } from '../../../cli/local/up';
import { loadGantryConfig } from '../../../infra/config/load';
import type { ServiceFailure } from '../../../local/services/registry';

const config = loadGantryConfig(join(import.meta.dirname, '..', '..', '..', 'gantry.config.yaml'));

describe('gantry local up: the accounts line of its banner', () => {
  it('says which local account each environment of the shipped config releases into', () => {
    expect(accountLines(config)).toEqual([
      "  Accounts      000000000000 (the control plane's): dev, preview, staging",
      "                222222222222 (assumed through STS, the GantryTarget stack's roles): prod",
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

describe('gantry local up: how it stops', () => {
  /** A plane that records its close, and fails when `fail` is called. */
  function fakePlane() {
    let fail: (failure: ServiceFailure) => void = () => undefined;
    const failed = new Promise<ServiceFailure>((resolve) => {
      fail = resolve;
    });
    const close = jest.fn(async () => undefined);
    return { plane: { failed, close, dataDir: '/work/app/.gantry' }, fail, close };
  }
  const quiet = () => {
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const restore = () => {
      out.mockRestore();
      err.mockRestore();
    };
    return { out, err, restore };
  };

  it('stops everything and fails, saying which service stopped and where its data is, when one stops on its own', async () => {
    const { plane, fail, close } = fakePlane();
    const signals = new EventEmitter();
    const io = quiet();
    try {
      const running = untilStopped(plane, signals);
      fail({ service: 'dynamodb', error: new Error('its thread failed: LevelDB: IO error') });
      await expect(running).rejects.toThrow(
        new CommandFailed('the local control plane stopped because its dynamodb failed (above)'),
      );
      expect(close).toHaveBeenCalledTimes(1);
      const said = io.err.mock.calls.map((c) => String(c[0])).join('');
      expect(said).toContain('Local dynamodb stopped on its own: its thread failed: LevelDB: IO error.');
      expect(said).toContain('What it had written is kept in /work/app/.gantry/dynamodb');
      expect(signals.listenerCount('SIGINT') + signals.listenerCount('SIGTERM')).toBe(0);
    } finally {
      io.restore();
    }
  });

  it('stops cleanly on Ctrl-C, and a later failure changes nothing', async () => {
    const { plane, fail, close } = fakePlane();
    const signals = new EventEmitter();
    const io = quiet();
    try {
      const running = untilStopped(plane, signals);
      signals.emit('SIGINT', 'SIGINT');
      await expect(running).resolves.toBeUndefined();
      fail({ service: 'dynamodb', error: new Error('closed under it') });
      await new Promise((resolve) => setImmediate(resolve));
      expect(close).toHaveBeenCalledTimes(1);
      expect(io.out.mock.calls.map((c) => String(c[0])).join('')).toContain('SIGINT: stopping');
      expect(io.err).not.toHaveBeenCalled();
    } finally {
      io.restore();
    }
  });
});
