import type {
  DeployTarget,
  EligibleApprover,
  PipelineDefinition,
  PlanRequest,
  SourceEvent,
  Trigger,
} from '../../events';

/** A Lambda target as config resolves it: widgets-<env>:live, canary 10% for 5 minutes, 5 minutes' bake. */
export function lambdaTarget(env: string): DeployTarget {
  return {
    kind: 'lambda',
    account: null,
    application: 'widgets',
    deploymentGroup: env,
    deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    strategy: 'Canary10Percent5Minutes',
    shift: { type: 'TimeBasedCanary', percent: 10, minutes: 5 },
    bakeSeconds: 300,
    timeoutSeconds: 7200,
    lambda: {
      function: `widgets-${env}`,
      alias: 'live',
      artifact: 'dist/function.zip',
      configurationChanges: 'refuse',
    },
    ecs: null,
    hooks: { beforeAllowTraffic: 'widgets-hook', afterAllowTraffic: 'widgets-hook' },
  };
}

/** An IAM Identity Center permission-set role of the widgets account. */
export const IDENTITY_CENTER_ROLE =
  'arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Releasers_0123456789abcdef';

const person = (identity: string, more: Partial<EligibleApprover> = {}): EligibleApprover => ({
  identity,
  principals: [`arn:aws:iam::123456789012:user/${identity}`],
  identityCenter: [],
  git: { github: identity },
  emails: [`${identity}@example.com`],
  ...more,
});

/** The people of the widgets pipeline: approvers of prod, and one operator of the whole pipeline. */
export const PEOPLE = {
  alice: person('alice'),
  bob: person('bob'),
  // Carol reaches AWS through IAM Identity Center, or through a role only she can assume.
  carol: person('carol', {
    principals: ['arn:aws:iam::123456789012:role/carol-admin'],
    identityCenter: ['carol@example.com'],
  }),
  olga: person('olga'),
} as const;

export const DEFINITION: PipelineDefinition = {
  name: 'widgets',
  source: { provider: 'github', repository: 'acme/widgets', connection: 'gh' },
  triggers: {
    push: { branches: ['develop', 'main', 'release/*'], exclude: ['release/tmp-*'] },
    tags: { include: ['v*'], exclude: [] },
    pullRequests: { targetBranches: ['main'], exclude: [], forks: 'skip' },
  },
  build: {
    projectName: 'gantry-widgets',
    gatedProjectName: 'gantry-widgets-gated',
    untrustedProjectName: 'gantry-widgets-untrusted',
    env: { NODE_ENV: 'test' },
  },
  gates: { requireTestsPassed: true, minLineCoverage: 80 },
  environments: [
    {
      name: 'dev',
      branches: ['develop'],
      approval: {
        required: false,
        approverGroups: [],
        minApprovals: 1,
        timeoutMinutes: 1440,
        separationOfDuties: true,
      },
      approvers: [],
      operators: [],
      deploy: lambdaTarget('dev'),
    },
    {
      name: 'prod',
      branches: ['release/*'],
      approval: {
        required: true,
        approverGroups: ['releasers'],
        minApprovals: 1,
        timeoutMinutes: 60,
        separationOfDuties: true,
      },
      approvers: [PEOPLE.alice, PEOPLE.bob, PEOPLE.carol],
      operators: [PEOPLE.alice, PEOPLE.bob, PEOPLE.carol],
      deploy: lambdaTarget('prod'),
    },
  ],
  concurrency: 'queued',
  operators: [PEOPLE.olga],
  identityCenterRoles: [IDENTITY_CENTER_ROLE],
  status: { connection: 'gh', secretId: 'gantry/connections/gh' },
};

let n = 0;

/** A SourceEvent for a push (or PR) to the widgets repository. */
export function sourceEvent(overrides: Partial<SourceEvent> = {}): SourceEvent {
  const id = `d-${++n}`;
  return {
    schemaVersion: '1',
    eventId: `github:${id}:0`,
    provider: 'github',
    deliveryId: id,
    providerEvent: 'push',
    receivedAt: '2026-11-23T10:00:00.000Z',
    kind: 'push',
    subkind: null,
    repository: { fullName: 'acme/widgets', cloneUrl: 'https://github.com/acme/widgets.git', htmlUrl: null },
    ref: 'refs/heads/develop',
    branch: 'develop',
    tag: null,
    before: 'a'.repeat(40),
    after: 'b'.repeat(40),
    headSha: 'b'.repeat(40),
    created: false,
    deleted: false,
    forced: false,
    commits: [
      {
        id: 'b'.repeat(40),
        message: 'Fix it\n\nLonger text',
        author: { name: 'Alice', email: 'alice@example.com' },
        committer: { name: 'Alice', email: 'alice@example.com' },
        timestamp: null,
      },
    ],
    totalCommits: null,
    pusher: 'alice',
    sender: 'alice',
    pullRequest: null,
    ...overrides,
  };
}

/**
 * A pull request event: `number` opened from `feature/x` into main, its head `head` (by default
 * `c…c`), by dana from the repository itself; `pullRequest` fields override.
 */
export function pullRequestEvent(
  number: number,
  pullRequest: Partial<NonNullable<SourceEvent['pullRequest']>> = {},
): SourceEvent {
  const head = pullRequest.headSha ?? 'c'.repeat(40);
  return sourceEvent({
    kind: 'pull_request',
    branch: 'feature/x',
    headSha: head,
    after: head,
    pullRequest: {
      number,
      action: 'opened',
      rawAction: 'opened',
      title: 'X',
      sourceBranch: 'feature/x',
      targetBranch: 'main',
      sourceRepository: 'acme/widgets',
      headSha: head,
      merged: false,
      fromFork: false,
      author: 'dana',
      ...pullRequest,
    },
  });
}

export function planRequest(source: SourceEvent, trigger: Trigger = 'push', definition = DEFINITION): PlanRequest {
  return {
    pipeline: definition,
    trigger,
    source,
    execution: {
      id: `arn:aws:states:us-east-1:123456789012:execution:gantry-pipeline-widgets:run-${source.deliveryId}`,
      name: `run-${source.deliveryId}`,
    },
  };
}
