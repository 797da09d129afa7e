import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { eventually, startTestPlane, type TestPlane } from '../../support/local';

const run = promisify(execFile);

/** Whether the aws CLI is on this machine (it is on the project's image; a contributor's may lack it). */
function awsInstalled(): boolean {
  try {
    execFileSync('aws', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface AwsAnswer {
  readonly code: number;
  readonly json: Record<string, unknown>;
  readonly stderr: string;
}

if (!awsInstalled()) {
  it('the aws CLI is not installed here, so the aws CLI tests did not run', () => {
    expect(awsInstalled()).toBe(false);
  });
} else {
  describe('the aws CLI against local mode (runs only where the aws CLI is installed)', () => {
    let t: TestPlane;
    let buildId = '';
    let commit = '';
    beforeAll(async () => {
      t = await startTestPlane();
      // What the demo does first: a push whose run builds, so builds and their logs exist.
      const pushed = await t.push();
      commit = pushed.push.after;
      // Its build is what these reads need; what the run does after it is other tests' business.
      const built = await eventually(
        'the pushed run’s build to succeed',
        async () => {
          const found = (await t.runs.list({ pipeline: 'sample-service' })).find((r) => r.commit === commit);
          return found?.build?.status === 'SUCCEEDED' ? found.build : undefined;
        },
        240_000,
      );
      buildId = built.id;
    }, 480_000);
    afterAll(() => t?.close());

    /** Runs the aws CLI as the README says: the session's gantry-local profile, the edge as endpoint. */
    async function aws(args: string[], env: Record<string, string> = operatorProfile()): Promise<AwsAnswer> {
      try {
        const { stdout, stderr } = await run('aws', ['--endpoint-url', t.plane.awsEndpoint, ...args], {
          env: { PATH: process.env.PATH ?? '', HOME: t.dataDir, ...env },
          timeout: 60_000,
        });
        return { code: 0, json: stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>), stderr };
      } catch (error) {
        const e = error as { code?: number; stderr?: string };
        return { code: e.code ?? 1, json: {}, stderr: e.stderr ?? String(error) };
      }
    }

    /**
     * Runs each command, three at a time (each aws CLI start costs about a CPU-second of Python,
     * and waits on the plane besides), and answers in the commands' order.
     */
    async function awsEach(commands: string[][], env?: Record<string, string>): Promise<AwsAnswer[]> {
      const answers: AwsAnswer[] = [];
      let next = 0;
      const lane = async () => {
        for (let i = next++; i < commands.length; i = next++) answers[i] = await aws(commands[i] as string[], env);
      };
      await Promise.all([lane(), lane(), lane()]);
      return answers;
    }

    const operatorProfile = () => ({
      AWS_CONFIG_FILE: join(t.dataDir, 'aws', 'config'),
      AWS_SHARED_CREDENTIALS_FILE: join(t.dataDir, 'aws', 'credentials'),
      AWS_PROFILE: 'gantry-local',
    });

    /** Each command an operator reads with, and what its answer must hold. */
    const reads = (): [string[], (json: Record<string, unknown>) => void][] => [
      [['events', 'list-event-buses'], (j) => expect(names(j.EventBuses, 'Name')).toContain('default')],
      [
        ['events', 'list-rules', '--event-bus-name', 'gantry'],
        (j) => expect(names(j.Rules, 'Name')).toContain('gantry-sample-service-push'),
      ],
      [
        ['logs', 'describe-log-groups'],
        (j) => expect(names(j.logGroups, 'logGroupName')).toContain('/aws/codebuild/gantry-sample-service'),
      ],
      [
        ['logs', 'describe-log-streams', '--log-group-name', '/aws/codebuild/gantry-sample-service'],
        (j) => expect(names(j.logStreams, 'logStreamName')).toContain(buildId.split(':')[1]),
      ],
      [
        ['logs', 'filter-log-events', '--log-group-name', '/aws/codebuild/gantry-sample-service'],
        (j) => expect((j.events as unknown[]).length).toBeGreaterThan(0),
      ],
      [['lambda', 'list-functions'], (j) => expect(names(j.Functions, 'FunctionName').length).toBeGreaterThan(5)],
      [
        ['lambda', 'get-function', '--function-name', 'gantry-sample-service-dev'],
        (j) => expect(j.Configuration).toMatchObject({ FunctionName: 'gantry-sample-service-dev' }),
      ],
      [['kms', 'list-keys'], (j) => expect((j.Keys as unknown[]).length).toBeGreaterThan(0)],
      [['codebuild', 'list-projects'], (j) => expect(j.projects).toContain('gantry-sample-service')],
      [['codebuild', 'list-builds'], (j) => expect(j.ids).toContain(buildId)],
      [
        ['codebuild', 'batch-get-builds', '--ids', buildId],
        (j) => expect(j.builds).toEqual([expect.objectContaining({ id: buildId, buildStatus: 'SUCCEEDED' })]),
      ],
      [['dynamodb', 'list-tables'], (j) => expect(j.TableNames).toContain('gantry-runs')],
      [['s3api', 'list-buckets'], (j) => expect(names(j.Buckets, 'Name').length).toBeGreaterThan(0)],
      [['sqs', 'list-queues'], (j) => expect((j.QueueUrls as unknown[]).length).toBeGreaterThan(0)],
      [
        ['stepfunctions', 'list-state-machines'],
        (j) => expect(names(j.stateMachines, 'name')).toContain('gantry-pipeline-sample-service'),
      ],
      [
        ['secretsmanager', 'list-secrets'],
        (j) => {
          expect(names(j.SecretList, 'Name')).toContain('gantry/connections/github-demo');
          // Listing names secrets; it never carries their values.
          expect(JSON.stringify(j)).not.toMatch(/SecretString|webhookSecret|apiToken/);
        },
      ],
    ];

    it('answers every list, describe and get an operator reads with, signed with the gantry-local profile', async () => {
      expect(buildId).toMatch(/^gantry-sample-service:/);
      const commands = reads();
      const answers = await awsEach(commands.map(([args]) => [...args, '--output', 'json']));
      commands.forEach(([args, check], i) => {
        const answer = answers[i] as AwsAnswer;
        expect({ command: args.join(' '), code: answer.code, stderr: answer.stderr }).toMatchObject({
          command: args.join(' '),
          code: 0,
        });
        check(answer.json);
      });
    }, 240_000);

    it('refuses each of them without the session’s credentials', async () => {
      const stranger = join(t.dataDir, 'stranger-credentials');
      const { writeFileSync } = await import('node:fs');
      writeFileSync(stranger, '[default]\naws_access_key_id = AKIASTRANGER000001\naws_secret_access_key = not-ours\n');
      const env = {
        AWS_SHARED_CREDENTIALS_FILE: stranger,
        AWS_CONFIG_FILE: '/dev/null',
        AWS_DEFAULT_REGION: 'us-east-1',
      };
      const commands = reads().map(([args]) => args);
      const answers = await awsEach(
        commands.map((args) => [...args, '--output', 'json']),
        env,
      );
      commands.forEach((args, i) => {
        const answer = answers[i] as AwsAnswer;
        expect({ command: args.join(' '), code: answer.code }).toEqual({ command: args.join(' '), code: 255 });
        expect(answer.stderr).toMatch(/UnrecognizedClientException|InvalidAccessKeyId|security token|AccessDenied/);
      });
    }, 240_000);
  });
}

function names(list: unknown, key: string): string[] {
  return ((list as Record<string, unknown>[] | undefined) ?? []).map((item) => String(item[key]));
}
