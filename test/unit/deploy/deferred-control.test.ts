import type { DeployControl } from '../../../shared/deploy/ports';
import { deferredDeployControl } from '../../../shared/deploy/wiring';

/** A DeployControl that answers every call with its name and arguments. */
function echoControl(): DeployControl {
  const echo =
    (name: string) =>
    async (...args: unknown[]) =>
      ({ name, args }) as never;
  return {
    publishVersion: echo('publishVersion'),
    versionCodeSha256: echo('versionCodeSha256'),
    versionConfiguration: echo('versionConfiguration'),
    aliasRouting: echo('aliasRouting'),
    createDeployment: echo('createDeployment'),
    findDeployment: echo('findDeployment'),
    getDeployment: echo('getDeployment'),
    stopDeployment: echo('stopDeployment'),
    groupAlarms: echo('groupAlarms'),
    alarmStates: echo('alarmStates'),
  };
}

describe('deferredDeployControl', () => {
  it('builds nothing until its first call, then builds once and passes each call to the same method, as made', async () => {
    let loads = 0;
    const control = deferredDeployControl(async () => {
      loads++;
      return echoControl();
    });
    expect(loads).toBe(0);
    const methods = Object.keys(echoControl()) as (keyof DeployControl)[];
    expect(methods).toHaveLength(10);
    const answers = await Promise.all(
      methods.map((name, i) => (control[name] as (...args: unknown[]) => Promise<unknown>)(`arg-${i}`, { i })),
    );
    expect(answers).toEqual(methods.map((name, i) => ({ name, args: [`arg-${i}`, { i }] })));
    expect(loads).toBe(1);
  });

  it('fails every call with the load failure, saying what could not load', async () => {
    let loads = 0;
    const control = deferredDeployControl(async () => {
      loads++;
      throw new Error('the CodeDeploy client could not be loaded');
    });
    await expect(control.stopDeployment('d-1')).rejects.toThrow('the CodeDeploy client could not be loaded');
    await expect(control.getDeployment('d-1')).rejects.toThrow('the CodeDeploy client could not be loaded');
    expect(loads).toBe(1);
  });
});
