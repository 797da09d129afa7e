import { join } from 'node:path';
import { loadCliConfig } from '../config-file';
import { CommandFailed } from '../errors';
import { describeRun } from '../runs';
import { resolveTarget } from '../target';
import { runningControlPlane } from './client';
import { followRun } from './follow';
import { localPush } from './push';

/** `gantry local push`: sends the delivery, then follows the run it starts. */
export async function pushCommand(
  path: string,
  options: { branch?: string; repository?: string; wait: boolean; dataDir?: string },
): Promise<void> {
  const info = runningControlPlane(options.dataDir);
  const result = await localPush({
    config: loadCliConfig(info.configFile),
    webhookUrl: info.webhookUrl,
    awsEndpoint: info.awsEndpoint,
    ...(info.token === undefined ? {} : { token: info.token }),
    secretsFile: join(info.dataDir, 'secrets.json'),
    repoDir: path,
    ...(options.branch ? { branch: options.branch } : {}),
    ...(options.repository ? { repository: options.repository } : {}),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    `Pushed ${result.push.branch} @ ${result.push.after.slice(0, 7)} of ${result.push.repository}: ${result.status} ${String(result.body.status ?? (result.body.error as { code?: string })?.code)}`,
  );
  if (result.status >= 300)
    throw new CommandFailed(`the control plane refused the delivery: ${JSON.stringify(result.body)}`);
  if (!options.wait) return;
  const target = await resolveTarget({ ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const run = await followRun(target, result.push.after, {
    pipeline: result.pipeline.name,
    stopWhenWaiting: true,
    print: out,
  });
  if (run === undefined) {
    out('No run started: no trigger of the pipeline selects this branch (see `triggers` in gantry.config.yaml).');
    return;
  }
  out('');
  out(describeRun(run, []));
  if (run.stages.approval?.status === 'waiting') {
    out(`\nWaiting for approval: gantry runs approve ${run.runId.slice(0, 12)} --as <approver> --reason "…"`);
  } else if (run.status !== 'SUCCEEDED') {
    throw new CommandFailed(`run ${run.runId.slice(0, 12)} ${run.status.toLowerCase()}`);
  }
}
