import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VersionProcess } from '../../../local/lambda-api/process';

/** A service version's code, as a deployment unpacks it: one plain ES module. */
function handlerFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-version-'));
  const file = join(dir, 'index.mjs');
  writeFileSync(file, 'export const handler = async (event) => ({ echoed: event });\n');
  return file;
}

describe("a service version's process", () => {
  it('fails an invocation sent after the process died but before its exit was handled, without ending the runtime', async () => {
    const version = await VersionProcess.start({
      functionName: 'svc',
      functionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:svc',
      version: '1',
      handlerFile: handlerFile(),
      handlerExport: 'handler',
      environment: { PATH: process.env.PATH ?? '' },
      timeoutSeconds: 5,
      log: () => undefined,
    });
    await expect(version.invoke({ n: 1 })).resolves.toMatchObject({ ok: true, payload: { echoed: { n: 1 } } });
    // It dies (a crash, an OOM kill, retire()'s signal), and the event loop is busy while it does:
    // Node has not yet run the 'exit' handler, so the process still looks running.
    process.kill(version.pid ?? 0, 'SIGKILL');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    expect(version.running).toBe(true);
    await expect(version.invoke({ n: 2 })).resolves.toMatchObject({ ok: false, errorType: 'Runtime.ExitError' });
    await version.exit;
    expect(version.running).toBe(false);
  });
});
