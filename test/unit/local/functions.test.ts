import { existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { handlerModules } from '../../../local/lambda/bundles';
import { LocalFunctions } from '../../../local/lambda/functions';
import type { FunctionSpec } from '../../../local/template/inventory';
import { tempFolders } from '../../support/temp';

const fixture = (name: string) => join(import.meta.dirname, '..', '..', 'fixtures', 'functions', `${name}.ts`);

function spec(name: string, file: string, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return {
    name,
    label: name,
    arn: `arn:aws:lambda:eu-west-1:000000000000:function:${name}`,
    entry: fixture(file),
    handlerExport: 'handler',
    environment: { GREETING: `hello from ${name}` },
    timeoutSeconds: 1,
    memoryMb: 128,
    ...extra,
  };
}

describe('LocalFunctions', () => {
  const logs: string[] = [];
  // Made in beforeAll, not as the file loads: a run filtered to other tests (-t) would start its
  // workers and never reach the afterAll that stops them, and jest would not exit.
  let functions: LocalFunctions;
  const start = () =>
    new LocalFunctions({
      // Only `sleepy` has a short timeout: a happy-path call must not race a 200 ms budget on a loaded machine.
      functions: [
        // A target account's function of a name the control plane's account also uses, listed first.
        spec('hook', 'echo', {
          arn: 'arn:aws:lambda:eu-west-1:222222222222:function:hook',
          environment: { GREETING: 'hello from 222222222222' },
        }),
        spec('hook', 'echo'),
        spec('one', 'echo'),
        spec('two', 'echo'),
        spec('sleepy', 'echo', { timeoutSeconds: 0.2 }),
        spec('broken', 'broken'),
      ],
      runtimeEnvironment: { AWS_REGION: 'eu-west-1' },
      accountId: '000000000000',
      log: (fn, line) => logs.push(`${fn}: ${line}`),
    });

  beforeAll(() => {
    functions = start();
    return functions.ready();
  });
  afterAll(() => functions?.stop());

  it('starts no worker before its function is invoked, as Lambda starts no instance before a request', async () => {
    const fresh = start();
    try {
      await fresh.ready();
      expect(fresh.started()).toEqual([]);
      await expect(fresh.invoke('two', {})).resolves.toMatchObject({ ok: true });
      expect(fresh.started()).toEqual(['arn:aws:lambda:eu-west-1:000000000000:function:two']);
    } finally {
      await fresh.stop();
    }
  });

  it('runs each function with its own environment and a Lambda context, by name or ARN', async () => {
    await expect(functions.invoke('one', { n: 1 })).resolves.toEqual({
      ok: true,
      payload: { event: { n: 1 }, functionName: 'one', greeting: 'hello from one', region: 'eu-west-1' },
    });
    await expect(
      functions.invoke('arn:aws:lambda:eu-west-1:000000000000:function:two:$LATEST', {}),
    ).resolves.toMatchObject({
      ok: true,
      payload: { functionName: 'two', greeting: 'hello from two' },
    });
  });

  it("resolves a name two accounts use in the control plane's account, and the other's by its ARN", async () => {
    await expect(functions.invoke('hook', {})).resolves.toMatchObject({ payload: { greeting: 'hello from hook' } });
    await expect(functions.invoke('arn:aws:lambda:eu-west-1:222222222222:function:hook', {})).resolves.toMatchObject({
      payload: { greeting: 'hello from 222222222222' },
    });
  });

  it("reports a thrown error by its name, as Lambda's errorType", async () => {
    await expect(functions.invoke('one', { fail: 'PipelineError' })).resolves.toMatchObject({
      ok: false,
      errorType: 'PipelineError',
      errorMessage: 'asked to fail: PipelineError',
    });
  });

  it('reports a function that outlives its timeout as Sandbox.Timedout', async () => {
    await expect(functions.invoke('sleepy', { sleepMs: 1000 })).resolves.toMatchObject({
      ok: false,
      errorType: 'Sandbox.Timedout',
    });
  });

  it('reports a module that fails to load on every invocation, without stopping the others', async () => {
    await expect(functions.invoke('broken', {})).resolves.toMatchObject({
      ok: false,
      errorType: 'Runtime.ImportModuleError',
      errorMessage: expect.stringContaining('cannot load the configuration'),
    });
    await expect(functions.invoke('one', {})).resolves.toMatchObject({ ok: true });
  });

  it('answers ResourceNotFoundException for a function the template does not have', async () => {
    await expect(functions.invoke('ghost', {})).resolves.toMatchObject({
      ok: false,
      errorType: 'ResourceNotFoundException',
    });
  });

  it("passes each line a function writes to the log sink, tagged with the function's name", async () => {
    await functions.invoke('one', {});
    expect(logs).toContain('one: {"level":"INFO","message":"echo","functionName":"one"}');
  });
});

describe('LocalFunctions around stop() and a worker that exits', () => {
  const quiet = () => undefined;
  /** One function (a fixture) on its own, stopped whatever the test does with it. */
  async function withOne(
    fn: FunctionSpec,
    test: (functions: LocalFunctions) => Promise<void>,
    initLimitMs?: number,
  ): Promise<void> {
    const functions = new LocalFunctions({
      functions: [fn],
      runtimeEnvironment: { AWS_REGION: 'eu-west-1' },
      log: quiet,
      ...(initLimitMs === undefined ? {} : { initLimitMs }),
    });
    try {
      await test(functions);
    } finally {
      await functions.stop();
    }
  }

  it('fails an invocation made as stop() begins at once, rather than at its timeout', async () => {
    const functions = new LocalFunctions({
      functions: [spec('one', 'echo', { timeoutSeconds: 3 })],
      runtimeEnvironment: { AWS_REGION: 'eu-west-1' },
      log: quiet,
    });
    await functions.ready();
    // invoke() awaits the worker's cold start, so stop() runs first, before the call reaches the worker.
    const pending = functions.invoke('one', {});
    await functions.stop();
    await expect(pending).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    await expect(functions.invoke('one', {})).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
  });

  it('fails invocations when a module exits its worker while loading, and tries a new worker for each', async () => {
    await withOne(spec('exits', 'exits', { timeoutSeconds: 3 }), async (functions) => {
      await functions.ready();
      for (let i = 0; i < 2; i++)
        await expect(functions.invoke('exits', {})).resolves.toMatchObject({
          ok: false,
          errorType: 'Runtime.ExitError',
          errorMessage: 'the function worker exited (code 3)',
        });
    });
  });

  it('replaces a worker whose handler ended its process, as Lambda replaces the instance', async () => {
    await withOne(spec('one', 'echo', { timeoutSeconds: 3 }), async (functions) => {
      await expect(functions.invoke('one', { exit: 7 })).resolves.toMatchObject({
        ok: false,
        errorType: 'Runtime.ExitError',
        errorMessage: 'the function worker exited (code 7)',
      });
      await expect(functions.invoke('one', { n: 2 })).resolves.toMatchObject({
        ok: true,
        payload: { event: { n: 2 } },
      });
    });
  });

  it('fails a cold start that outlives the init limit, rather than leaving its invocation waiting forever', async () => {
    await withOne(
      spec('hangs', 'hangs', { timeoutSeconds: 1 }),
      async (functions) => {
        for (let i = 0; i < 2; i++)
          await expect(functions.invoke('hangs', {})).resolves.toMatchObject({
            ok: false,
            errorType: 'Sandbox.Timedout',
            errorMessage: 'the function did not finish initializing within 0.5 seconds',
          });
      },
      500,
    );
  });
});

describe('LocalFunctions running from a cached build', () => {
  const temp = tempFolders();

  it('marks the build in use, so that no other process prunes the chunks its handlers load later', async () => {
    const entry = fixture('echo');
    const handlers = await handlerModules([entry], { cacheDir: temp('gantry-functions-cache-') });
    const build = handlers.get(entry)?.build ?? '';
    expect(build).not.toBe('');
    const marker = join(build, `.in-use.${hostname().replace(/[^\w.-]/g, '_')}.${process.pid}`);
    expect(existsSync(marker)).toBe(false);
    const functions = new LocalFunctions({
      functions: [spec('one', 'echo')],
      handlers: Promise.resolve(handlers),
      runtimeEnvironment: {},
      accountId: '000000000000',
      log: () => undefined,
    });
    try {
      await functions.ready();
      expect(Date.now() - statSync(marker).mtimeMs).toBeLessThan(60_000);
    } finally {
      await functions.stop();
    }
    // Stopped, it no longer holds the build.
    expect(existsSync(marker)).toBe(false);
  });
});
