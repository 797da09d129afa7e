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
    aliasVersion: echo('aliasVersion'),
    createDeployment: echo('createDeployment'),
    findRunDeployment: echo('findRunDeployment'),
    getDeployment: echo('getDeployment'),
    stopDeployment: echo('stopDeployment'),
    groupAlarms: echo('groupAlarms'),
    alarmStates: echo('alarmStates'),
  };
}

describe('deferredDeployControl', () => {
  it('builds nothing until its first call, then builds once and passes every call through as made', async () => {
    let loads = 0;
    const control = deferredDeployControl(async () => {
      loads++;
      return echoControl();
    });
    expect(loads).toBe(0);
    const [stopped, alarms] = await Promise.all([control.stopDeployment('d-1'), control.alarmStates(['a', 'b'])]);
    expect(stopped).toEqual({ name: 'stopDeployment', args: ['d-1'] });
    expect(alarms).toEqual({ name: 'alarmStates', args: [['a', 'b']] });
    await control.getDeployment('d-2');
    expect(loads).toBe(1);
  });

  it('answers the first call with the load failure, and loads again at the next call instead of failing for good', async () => {
    let loads = 0;
    const control = deferredDeployControl(async () => {
      loads++;
      if (loads === 1) throw new Error('the CodeDeploy client could not be loaded');
      return echoControl();
    });
    await expect(control.stopDeployment('d-1')).rejects.toThrow('the CodeDeploy client could not be loaded');
    await expect(control.stopDeployment('d-1')).resolves.toEqual({ name: 'stopDeployment', args: ['d-1'] });
    expect(loads).toBe(2);
  });
});
