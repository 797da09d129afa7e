import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import { zip } from '../../local/codebuild/zip';
import type { DeploymentRecord } from '../../local/codedeploy/records';
import { type LocalDeployer, startDeployer } from '../../local/deployer';
import { type RunningEdge, startEdge } from '../../local/edge/server';
import { S3Store } from '../../local/s3';
import { inventoryOf } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { appSpec, ERROR_RATE_ALARM, FUNCTION_NAME, serviceStack } from '../unit/local/deploy-fixtures';
import type { RateJob, RateResult } from './rate-loadgen';
import { fmt, median, table } from './stats';

export interface DeployBenchOptions {
  readonly rounds: number;
  /** Requests per second through the stable URL, from a second process. */
  readonly rate: number;
  /** Local time compression: Canary10Percent5Minutes holds its canary 300 s / timeScale. */
  readonly timeScale: number;
  /** Seconds of each steady run comparing the proxy with the version process. */
  readonly steadySec: number;
}

const SERVICE = join(PROJECT_ROOT, 'examples', 'sample-service');
const CANARY = 'CodeDeployDefault.LambdaCanary10Percent5Minutes';
const BUCKET = 'artifacts';

/** The sample service's package; `bad` makes /hello answer 500 (its /health still answers 200). */
function samplePackage(bad: boolean): Buffer {
  const files = ['package.json', ...readdirSync(join(SERVICE, 'src')).map((f) => `src/${f}`)];
  return zip(
    files.map((name) => {
      let text = readFileSync(join(SERVICE, name), 'utf8');
      if (bad && name === 'src/app.js') {
        const broken = text.replace('send(res, 200, { message: greeting(', 'send(res, 500, { message: greeting(');
        if (broken === text) throw new Error('cannot make a bad release: src/app.js changed shape');
        text = broken;
      }
      return { name, data: Buffer.from(text) };
    }),
  );
}

/** The constant-rate load generator process (test/bench/rate-loadgen.ts). */
class RateLoad {
  private nextId = 0;
  private readonly waiting = new Map<number, (r: RateResult | Error) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (m: RateResult | { kind: 'ready' } | { kind: 'error'; id: number; message: string }) => {
      if (m.kind === 'ready') return;
      const settle = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      settle?.(m.kind === 'error' ? new Error(m.message) : m);
    });
  }

  static async start(): Promise<RateLoad> {
    const child = fork(join(PROJECT_ROOT, 'test', 'bench', 'rate-loadgen.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    return new RateLoad(child);
  }

  run(job: Omit<RateJob, 'id'>): Promise<RateResult> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (r) => (r instanceof Error ? reject(r) : resolve(r)));
      this.child.send({ ...job, id } satisfies RateJob);
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

interface Round {
  readonly direct: RateResult;
  readonly proxied: RateResult;
  readonly good: { readonly load: RateResult; readonly record: DeploymentRecord };
  readonly bad: { readonly load: RateResult; readonly record: DeploymentRecord };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const failedAnswers = (r: RateResult) =>
  Object.entries(r.statuses)
    .filter(([status]) => !status.startsWith('2'))
    .reduce((n, [, count]) => n + count, 0);

/** When the canary started (the first shift) and when all traffic was back on the current version. */
function canaryToBlueMs(record: DeploymentRecord): number {
  const shifted = record.timeline.find((t) => t.percent > 0 && t.percent < 100);
  const back = record.timeline.find((t) => t.event.includes('has all the traffic again'));
  return shifted === undefined || back === undefined ? Number.NaN : back.at - shifted.at;
}

/**
 * `npm run bench -- deploy`: constant load through a service alias's stable URL while blue/green
 * canary deployments run, driving the local deployer directly (no pipeline): errors the switch
 * causes, the latency the proxy adds, and how fast an alarm puts all traffic back on blue.
 */
export async function benchDeploy(options: DeployBenchOptions): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-deploy-'));
  let edge: RunningEdge | undefined;
  let deployer: LocalDeployer | undefined;
  const load = await RateLoad.start();
  try {
    edge = await startEdge({ port: 0 });
    const s3 = new S3Store({ buckets: [BUCKET], dataDir: join(dataDir, 's3') });
    const inventory = inventoryOf(
      new TemplateResolver([serviceStack(SERVICE)], {
        region: 'us-east-1',
        accountId: '000000000000',
        edgeEndpoint: '',
      }),
    );
    const started = await startDeployer({
      inventory,
      s3,
      functions: {
        invoke: async () => ({ ok: false, errorType: 'ResourceNotFoundException', errorMessage: 'none', trace: [] }),
      },
      dataDir,
      region: 'us-east-1',
      accountId: '000000000000',
      host: '127.0.0.1',
      basePort: 0,
      timeScale: options.timeScale,
      runtimeEnvironment: { PATH: process.env.PATH ?? '' },
      credentialsFor: () => ({ accessKeyId: 'AKIDSERVICEROLE', secretAccessKey: 'role-secret' }),
      log: () => undefined,
      publish: () => undefined,
    });
    edge.attach(...started.edgeAttachments);
    deployer = started;
    const stable = `${started.endpoints[0]?.url}/hello`;
    const { store } = started.services;
    for (const [key, bad] of [
      ['good.zip', false],
      ['bad.zip', true],
    ] as const) {
      await s3.putObject(BUCKET, key, samplePackage(bad));
      store.updateCode(FUNCTION_NAME, samplePackage(bad));
      store.publish(FUNCTION_NAME);
    }
    const deploy = async (current: string, target: string) => {
      const { deploymentId } = (await started.codeDeploy.handle('CreateDeployment', {
        applicationName: inventory.codeDeploy.applications[0]?.name,
        deploymentGroupName: inventory.codeDeploy.groups[0]?.name,
        deploymentConfigName: CANARY,
        description: `bench ${current} → ${target}`,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(current, target) } },
      })) as { deploymentId: string };
      const record = await started.codeDeploy.settled(deploymentId);
      if (record === undefined) throw new Error(`deployment ${deploymentId} vanished`);
      return record;
    };
    const alarmClear = async () => {
      while (started.alarms.evaluate(ERROR_RATE_ALARM)?.state === 'ALARM') await sleep(20);
    };
    // Canary hold + drain + the load's lead and tail.
    const deploySec = Math.ceil((5 * 60) / options.timeScale + 2);
    const underLoad = async (current: string, target: string) => {
      const running = load.run({ url: stable, rate: options.rate, durationSec: deploySec });
      await sleep(500);
      const record = await deploy(current, target);
      return { load: await running, record };
    };

    await load.run({ url: stable, rate: options.rate, durationSec: 1 });
    let current = '1';
    const rounds: Round[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const port = (await started.services.healthyProcess(FUNCTION_NAME, current)).port;
      // Alternate which goes first, so warm-up and drift do not favour one side.
      const steady = (url: string) => load.run({ url, rate: options.rate, durationSec: options.steadySec });
      const directUrl = `http://127.0.0.1:${port}/hello`;
      const [direct, proxied] =
        r % 2 === 0
          ? [await steady(directUrl), await steady(stable)]
          : await steady(stable).then(async (p) => [await steady(directUrl), p] as const);
      const target = current === '2' ? '1' : '2';
      const good = await underLoad(current, target);
      if (good.record.status !== 'Succeeded')
        throw new Error(
          `a good deployment ended ${good.record.status}: ${JSON.stringify(good.record.errorInformation)}`,
        );
      current = target;
      await alarmClear();
      const bad = await underLoad(current, '3');
      if (bad.record.errorInformation?.code !== 'ALARM_ACTIVE')
        throw new Error(`the bad deployment ended ${bad.record.status} without its alarm`);
      await alarmClear();
      rounds.push({ direct, proxied, good, bad });
      process.stderr.write('.');
    }
    process.stderr.write('\n');
    return report(options, rounds);
  } finally {
    await deployer?.close();
    await edge?.close();
    await load.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function report(options: DeployBenchOptions, rounds: readonly Round[]): string {
  const switchErrors = rounds.reduce((n, r) => n + failedAnswers(r.good.load) + r.good.load.errors, 0);
  const badConnectionErrors = rounds.reduce((n, r) => n + r.bad.load.errors, 0);
  const addedP99 = median(rounds.map((r) => r.proxied.p99Ms - r.direct.p99Ms));
  const addedP50 = median(rounds.map((r) => r.proxied.p50Ms - r.direct.p50Ms));
  const rollback = median(rounds.map((r) => r.bad.record.rollbackMs ?? Number.NaN));
  const canaryToBlue = median(rounds.map((r) => canaryToBlueMs(r.bad.record)));
  const duration = (d: DeploymentRecord) => (d.completeTime ?? Number.NaN) - (d.startTime ?? Number.NaN);
  const mark = (met: boolean) => (met ? '✓' : '✗');
  return [
    `The sample service (examples/sample-service) behind its stable URL, ${options.rate} GET /hello per second from a second process ` +
      `(open loop: evenly spaced requests on keep-alive connections), ${options.rounds} rounds; ${availableParallelism()} cores shared by the deployer ` +
      `(proxy and CodeDeploy in one process, each version in its own), the version processes and the load. Time scale ${options.timeScale}×: ` +
      `${CANARY} holds its canary ${fmt((5 * 60) / options.timeScale, 1)} s. Each round: ${options.steadySec} s against the version process ` +
      'directly and through the proxy (in alternating order); a canary deployment of a good release under load; then a release whose /hello answers 500, ' +
      'which the error-rate alarm (over 5% of answers 5xx, window 60 s / time scale) must roll back.',
    '',
    table(
      [
        'round',
        'direct p50 / p99 ms',
        'proxied p50 / p99 ms',
        'good switch: answers, failed',
        'good deploy s',
        'bad: 5xx answers, connection errors',
        'alarm → 100% blue ms',
        'canary start → 100% blue ms',
      ],
      rounds.map((r, i) => [
        i + 1,
        `${fmt(r.direct.p50Ms, 2)} / ${fmt(r.direct.p99Ms, 2)}`,
        `${fmt(r.proxied.p50Ms, 2)} / ${fmt(r.proxied.p99Ms, 2)}`,
        `${fmt(r.good.load.answers)}, ${fmt(failedAnswers(r.good.load) + r.good.load.errors)}`,
        fmt(duration(r.good.record) / 1000, 2),
        `${fmt(failedAnswers(r.bad.load))}, ${fmt(r.bad.load.errors)}`,
        fmt(r.bad.record.rollbackMs ?? Number.NaN, 3),
        fmt(canaryToBlueMs(r.bad.record), 1),
      ]),
    ),
    '',
    `- ${mark(switchErrors === 0)} errors caused by the switch: ${fmt(switchErrors)} over all good deployments (target 0).`,
    `- ${mark(badConnectionErrors === 0)} connection errors while a bad release was rolled back: ${fmt(badConnectionErrors)} (its 5xx answers are the release's own).`,
    `- ${mark(addedP99 < 2)} p99 added by the proxy: ${fmt(addedP99, 2)} ms, median of rounds (p50 added ${fmt(addedP50, 2)} ms; target < 2 ms).`,
    `- ${mark(rollback < 1000)} rollback from the alarm firing to 100% blue: ${fmt(rollback, 3)} ms, median (target < 1 s); ` +
      `from the canary's start to 100% blue: ${fmt(canaryToBlue, 1)} ms, the alarm's detection included.`,
  ].join('\n');
}
