import type { ExecutionDeps } from './execution';
import { loadMachines } from './machines';
import { ExecutionRegistry } from './registry';
import { stepFunctionsService } from './service';
import { ExecutionStore } from './store';
import type { IntegrationHandler } from './tasks';
import { FaultInjector, testHooksFrom } from './test-hooks';
import { TaskTokens } from './tokens';
import type { StepFunctionsEmulator, StepFunctionsOptions } from './types';
import { ValidatedDefinitions } from './validated';

/**
 * Starts the local Step Functions: loads and checks every state machine (throwing
 * UnsupportedDefinitionError or InvalidDefinitionError before anything runs), settles the
 * executions a previous process left running, and returns the API to mount on the edge.
 */
export async function createStepFunctions(options: StepFunctionsOptions): Promise<StepFunctionsEmulator> {
  const integrations = new Map<string, IntegrationHandler>(Object.entries(options.integrations ?? {}));
  // Test hooks come from the options, else from the one variable only tests set (see TEST_HOOKS_ENV).
  const hooks = options.testHooks ?? testHooksFrom(process.env);
  const machines = loadMachines(
    options.stateMachines,
    (resource) => integrations.has(resource),
    {
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
      ...(hooks.callbackTimeoutScale === undefined ? {} : { callbackTimeoutScale: hooks.callbackTimeoutScale }),
    },
    options.validationCacheDir === undefined ? undefined : new ValidatedDefinitions(options.validationCacheDir),
  );
  const store = new ExecutionStore(options.dataDir);
  const tokens = new TaskTokens();
  const deps: ExecutionDeps = {
    env: { lambda: options.lambda, tokens, integrations, region: options.region },
    store,
    notify: (type, record) =>
      options.onEvent?.({ type, executionArn: record.executionArn, stateMachineArn: record.stateMachineArn }),
  };
  const registry = new ExecutionRegistry(store, deps);
  registry.load();
  let closed = false;
  return {
    service: stepFunctionsService(
      { machines, registry, tokens, loadedAt: Date.now() },
      hooks.faults?.length ? new FaultInjector(hooks.faults) : undefined,
    ),
    registerIntegration(resource, handler) {
      integrations.set(resource, handler);
    },
    async close() {
      if (closed) return;
      closed = true;
      await registry.stopAll();
    },
  };
}
