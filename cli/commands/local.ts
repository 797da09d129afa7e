import type { Command } from 'commander';
import { CONFIG_FILE_ENV, DEFAULT_CONFIG_FILE } from '../../infra/config/file';
import { collectPort, timeScaleOption } from '../options';

export function registerLocalCommands(program: Command): void {
  const local = program.command('local').description('run the whole control plane on this machine');

  local
    .command('up')
    .description('start the local control plane (what `npm start` runs)')
    .option('--port <port>', 'webhook front door port (env GANTRY_PORT)', collectPort, undefined)
    .option('--aws-port <port>', 'AWS API edge port (env GANTRY_AWS_PORT)', collectPort, undefined)
    .option('--data-dir <dir>', 'where state persists (env GANTRY_DATA_DIR)')
    .option('--region <region>', 'the region local ARNs carry', 'us-east-1')
    .option('--config <file>', `the Gantry config (env ${CONFIG_FILE_ENV}, default ${DEFAULT_CONFIG_FILE})`)
    .option('--quiet', 'do not print function logs (they are still written under <data-dir>/logs)')
    .option(
      '--service-port <port>',
      "the first deployed service's stable URL port (env GANTRY_SERVICE_PORT)",
      collectPort,
      undefined,
    )
    .option(
      '--time-scale <n>',
      'time compression of deployments, alarms and Wait states: 60 makes a minute last a second (env GANTRY_TIME_SCALE)',
      timeScaleOption,
      undefined,
    )
    .action(async (options: UpOptions) => {
      const { localUp } = await import('../local/up');
      await localUp(options);
    });

  local
    .command('push')
    .description(
      "run the pipeline on a local git repository's current commit: sends the provider's push delivery, signed, to the running control plane",
    )
    .argument('[path]', 'the repository', '.')
    .option('--branch <name>', 'the branch to push (default: the checked-out one)')
    .option(
      '--repository <owner/name>',
      'the repository as gantry.config.yaml names it (default: from the origin remote or the folder name)',
    )
    .option('--no-wait', 'return once the delivery is accepted')
    .option('--data-dir <dir>', 'the running control plane data folder (env GANTRY_DATA_DIR)')
    .action(
      async (path: string, options: { branch?: string; repository?: string; wait: boolean; dataDir?: string }) => {
        const { pushCommand } = await import('../local/push-command');
        await pushCommand(path, options);
      },
    );

  local
    .command('demo')
    .description('send signed sample deliveries to the running control plane and show what happened')
    .option('--data-dir <dir>', 'the running control plane data folder (env GANTRY_DATA_DIR)')
    .action(async (options: { dataDir?: string }) => {
      const { localDemo } = await import('../local/demo');
      await localDemo(options);
    });
  local
    .command('iam')
    .description("what local IAM decided this session: the template's IAM, enforced on every local call")
    .command('report')
    .description('per role: the calls IAM denied, and the granted permissions no call used (least-privilege hints)')
    .option('--data-dir <dir>', 'the control plane data folder (env GANTRY_DATA_DIR)')
    .option('--json', 'print JSON')
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const { iamReportCommand } = await import('../local/iam-report');
      iamReportCommand(options, (line) => void process.stdout.write(`${line}\n`));
    });
}

export interface UpOptions {
  readonly port?: number;
  readonly awsPort?: number;
  readonly dataDir?: string;
  readonly region: string;
  readonly config?: string;
  readonly quiet?: boolean;
  readonly servicePort?: number;
  readonly timeScale?: number;
}
