import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempFolders } from '../../support/temp';
import { FUNCTION_NAME, serviceFunctions, serviceSource, startServices } from './deploy-fixtures';

/** A release whose process ignores SIGTERM: it stops only at the SIGKILL that follows the grace. */
function stubbornService(dir: string): string {
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'lambda.mjs'), `process.on('SIGTERM', () => {});\n${serviceSource('v1')}`);
  return dir;
}

const alive = (pid: number | undefined) => {
  try {
    process.kill(pid ?? 0, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a version retiring while local mode stops', () => {
  const temp = tempFolders();

  it('is waited for: close() resolves only once the retiring version’s process has ended', async () => {
    const dir = temp('gantry-retire-');
    const services = await startServices(serviceFunctions(stubbornService(join(dir, 'service'))), join(dir, 'lambda'));
    let pid: number | undefined;
    try {
      const version = await services.healthyProcess(FUNCTION_NAME, '$LATEST');
      pid = version.pid;
      expect(alive(pid)).toBe(true);
      // No alias routes to $LATEST: retiring it stops its process (SIGTERM, ignored, then SIGKILL).
      const retired = services.retire(FUNCTION_NAME, '$LATEST', 0);
      while (services.isRunning(FUNCTION_NAME, '$LATEST')) await new Promise((r) => setTimeout(r, 10));
      await services.close();
      // Without the wait, close() returned at once and the process outlived local mode.
      expect(alive(pid)).toBe(false);
      await retired;
    } finally {
      await services.close();
      if (alive(pid)) process.kill(pid ?? 0, 'SIGKILL');
    }
  }, 20_000);
});
