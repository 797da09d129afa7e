import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { tempFolders } from '../../support/temp';
import { FUNCTION_NAME, serviceFunctions, startServices, writeServiceFolder } from './deploy-fixtures';

const ROLE = { accessKeyId: 'AKIDSERVICEROLE', secretAccessKey: 'role-secret' };

/** The environment a process was started with, as another process of the same user reads it. */
function environOf(pid: number | undefined): Record<string, string> {
  const raw = readFileSync(`/proc/${pid}/environ`, 'utf8');
  return Object.fromEntries(
    raw
      .split('\0')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  );
}

/**
 * A deployed service is the change's own code, so it gets what Lambda gives a function: its
 * execution role's credentials (which local IAM holds to the role's policies), never the local
 * runtime's internal ones (which local IAM does not restrict, and which could move prod's alias).
 */
describe('the credentials a local service version runs with', () => {
  const temp = tempFolders();
  const start = (credentialsFor: (arn: string) => typeof ROLE | undefined) => {
    const dir = temp('gantry-service-creds-');
    const functions = serviceFunctions(writeServiceFolder(join(dir, 'service')));
    const arn = functions[0]?.arn;
    return startServices(functions, join(dir, 'lambda'), {
      // What the deployer passes: the edge and region, no credentials of the runtime's own.
      runtimeEnvironment: { PATH: process.env.PATH ?? '', AWS_ENDPOINT_URL: 'http://127.0.0.1:1' },
      credentialsFor: (asked) => (asked === arn ? credentialsFor(asked) : undefined),
    });
  };

  it("are the function's role's, asked for by its ARN", async () => {
    const services = await start(() => ROLE);
    try {
      const version = await services.healthyProcess(FUNCTION_NAME, '$LATEST');
      const env = environOf(version.pid);
      expect(env).toMatchObject({ AWS_ACCESS_KEY_ID: ROLE.accessKeyId, AWS_SECRET_ACCESS_KEY: ROLE.secretAccessKey });
    } finally {
      await services.close();
    }
  }, 20_000);

  it('refuses, on its own port, a DNS-rebinding Host and a foreign Origin, as every local server does', async () => {
    const services = await start(() => ROLE);
    try {
      const version = await services.healthyProcess(FUNCTION_NAME, '$LATEST');
      const call = (headers: Record<string, string>) =>
        new Promise<number>((resolve, reject) => {
          const req = httpRequest({ host: '127.0.0.1', port: version.port, path: '/health', headers }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await call({ host: `evil.example:${version.port}` })).toBe(421);
      expect(await call({ host: `127.0.0.1:${version.port}`, origin: 'https://evil.example' })).toBe(403);
      // The alias proxy forwards its caller's loopback Host, on the proxy's port: served.
      expect(await call({ host: 'localhost:4600' })).toBe(200);
      expect(await call({ host: `[::1]:${version.port}`, origin: 'http://127.0.0.1:4600' })).toBe(200);
    } finally {
      await services.close();
    }
  }, 20_000);

  it('a function local IAM has no role for is not started, and says what to fix', async () => {
    const services = await start(() => undefined);
    try {
      await expect(services.healthyProcess(FUNCTION_NAME, '$LATEST')).rejects.toThrow(
        /has no execution role local IAM knows, so it is not started/,
      );
    } finally {
      await services.close();
    }
  }, 20_000);
});
