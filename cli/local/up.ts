import { join, relative, resolve } from 'node:path';
import { PROVIDERS } from '../../events';
import { configFilePath } from '../../infra/config/file';
import { foreignAccounts, type GantryConfig } from '../../infra/config/schema';
import { formatLogLine, LogFiles } from '../../local/logs/console';
import { type LocalControlPlane, startLocalControlPlane } from '../../local/runtime';
import { localAccountId } from '../../local/services/context';
import type { UpOptions } from '../commands/local';
import { loadCliConfig } from '../config-file';
import { CommandFailed, UsageError } from '../errors';
import { dataDirOption, portFromEnv, timeScaleOption } from '../options';
import { seedLocalConnectionSecrets } from './connection-secrets';

/** `gantry local up`: starts everything, prints what runs where, and stops cleanly on Ctrl-C. */
export async function localUp(options: UpOptions): Promise<void> {
  const config = loadCliConfig(options.config);
  const dataDir = dataDirOption(options.dataDir);
  const files = new LogFiles(dataDir);
  const color = process.stdout.isTTY === true;
  process.stdout.write('Starting the Gantry local control plane…\n');
  const plane = await Promise.resolve()
    .then(() => seedLocalConnectionSecrets(config, join(dataDir, 'secrets.json')))
    .then(() =>
      startLocalControlPlane({
        config,
        configFile: resolve(configFilePath(options.config)),
        dataDir,
        port: options.port ?? portFromEnv('GANTRY_PORT', 4000),
        awsPort: options.awsPort ?? portFromEnv('GANTRY_AWS_PORT', 4566),
        region: options.region,
        servicePort: options.servicePort ?? portFromEnv('GANTRY_SERVICE_PORT', 4600),
        timeScale:
          options.timeScale ?? (process.env.GANTRY_TIME_SCALE ? timeScaleOption(process.env.GANTRY_TIME_SCALE) : 60),
        log: (fn, line) => {
          files.write(fn, line);
          if (options.quiet) return;
          const out = formatLogLine(fn.padEnd(16), line, color);
          if (out !== undefined) process.stdout.write(`${out}\n`);
        },
      }),
    )
    .catch((error: unknown) => {
      throw new UsageError(
        `the local control plane could not start: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  process.stdout.write(banner(plane, config));
  await untilStopped(plane);
}

function banner(plane: LocalControlPlane, config: GantryConfig): string {
  const inv = plane.inventory;
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  const rel = relative(process.cwd(), plane.dataDir);
  const dir = rel === '' ? '.' : rel.startsWith('..') ? plane.dataDir : rel;
  return [
    '',
    `Gantry local control plane is up (${(plane.startupMs / 1000).toFixed(1)} s)`,
    '',
    '  Webhooks      one URL per provider:',
    ...PROVIDERS.map((p) => `                  ${p.padEnd(16)} ${plane.webhookUrl}/webhooks/${p}`),
    `  Console       ${plane.consoleUrl}   (this link signs you in; keep it to yourself)`,
    `  AWS APIs      ${plane.awsEndpoint}   sign with the session's gantry-local profile (keys and token: ${plane.dataDir}/runtime.json):`,
    `                  AWS_CONFIG_FILE=${plane.dataDir}/aws/config AWS_SHARED_CREDENTIALS_FILE=${plane.dataDir}/aws/credentials \\`,
    `                  aws --profile gantry-local --endpoint-url ${plane.awsEndpoint} dynamodb list-tables`,
    ...(plane.serviceEndpoints.length > 0
      ? [
          `  Services      stable URLs (blue/green behind a weighted proxy; deployments ${plane.timeScale}x faster than real time):`,
          ...plane.serviceEndpoints.map(
            (e) => `                  ${`${e.functionName}:${e.alias}`.padEnd(36)} ${e.url}`,
          ),
        ]
      : []),
    ...accountLines(config),
    `  Data          ${dir}/   (secrets in ${dir}/secrets.json, function logs in ${dir}/logs/)`,
    `  Serving       ${count(inv.functions.length, 'function')}, ${count(inv.tables.length, 'table')}, ${count(inv.queues.length, 'queue')}, ${count(inv.rules.length, 'rule')}, ${count(inv.stateMachines.length, 'state machine')}`,
    ...(plane.replayedEvents > 0
      ? [`  Replayed      ${count(plane.replayedEvents, 'event')} accepted before the last stop`]
      : []),
    '',
    '  Try it:       npm run demo        (in another terminal)',
    '  Stop:         Ctrl-C',
    '',
    '',
  ].join('\n');
}

/**
 * Runs until Ctrl-C (or SIGTERM), or until a service stops working on its own: then it stops the
 * rest, says which and why, and fails, rather than serving calls that can no longer succeed.
 */
export async function untilStopped(
  plane: Pick<LocalControlPlane, 'failed' | 'close' | 'dataDir'>,
  signals: NodeJS.EventEmitter = process,
): Promise<void> {
  let stopping = false;
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = (signal) => {
      if (stopping) {
        process.stderr.write('Stopping immediately.\n');
        process.exit(130);
      }
      resolve(signal);
    };
  });
  signals.on('SIGINT', onSignal);
  signals.on('SIGTERM', onSignal);
  try {
    const why = await Promise.race([signalled, plane.failed]);
    stopping = true;
    if (typeof why === 'string') {
      process.stdout.write(`\n${why}: stopping (workers, servers, DynamoDB)…\n`);
      await plane.close();
      process.stdout.write('Stopped.\n');
      return;
    }
    process.stderr.write(`\n${serviceFailed(why.service, why.error, plane.dataDir)}\nStopping the rest…\n`);
    await plane.close();
    throw new CommandFailed(`the local control plane stopped because its ${why.service} failed (above)`);
  } finally {
    signals.off('SIGINT', onSignal);
    signals.off('SIGTERM', onSignal);
  }
}

/** What a user reads when a service of the local control plane stops on its own. */
export function serviceFailed(service: string, error: Error, dataDir: string): string {
  const kept =
    service === 'dynamodb'
      ? ` What it had written is kept in ${join(dataDir, 'dynamodb')}; start again with \`npm start\`` +
        ' (if it fails again, move that folder aside to start with empty tables).'
      : ' Start again with `npm start`.';
  return `Local ${service} stopped on its own: ${error.message.replace(/\.$/, '')}.${kept}`;
}

/** Which local account each environment releases into, when some live outside the control plane's. */
export function accountLines(config: GantryConfig): string[] {
  const foreign = foreignAccounts(config);
  if (foreign.length === 0) return [];
  const home = localAccountId(config);
  const envsIn = (account: string) =>
    config.pipelines.flatMap((p) =>
      p.environments.filter((e) => e.deploy !== undefined && (e.deploy.account ?? home) === account).map((e) => e.name),
    );
  const line = (account: string, what: string) =>
    `${account} ${what}: ${[...new Set(envsIn(account))].join(', ') || '-'}`;
  return [
    `  Accounts      ${line(home, "(the control plane's)")}`,
    ...foreign.map((a) => `                ${line(a, "(assumed through STS, the GantryTarget stack's roles)")}`),
  ];
}
