import { describePipeline } from '../../../cli/config';
import { parseGantryConfig } from '../../../infra/config/load';
import { summarize } from '../../../infra/config/summary';

const YAML = `
connections: [{ name: gh, provider: github }]
pipelines:
  - name: api
    source: { provider: github, repository: acme/api, connection: gh }
    triggers:
      push: { branches: [develop, main, "release/*", "feature/*"], exclude: "feature/wip-*" }
      tags: { include: "v*" }
      pullRequests: { targetBranches: main, forks: build }
    environments:
      - name: dev
        branches: develop
        deploy: { application: api, deploymentGroup: dev, lambda: { function: api-dev }, strategy: AllAtOnce, bakeMinutes: 0 }
      - name: prod
        branches: "release/*"
        approval: { required: true, approverGroups: [rm], minApprovals: 2, timeoutMinutes: 90 }
        deploy:
          application: api
          deploymentGroup: prod
          ecs: { cluster: main, service: api, container: web, port: 80 }
          strategy: { canary: { percent: 20, minutes: 3 } }
      - name: hotfix
        branches: "hotfix/*"
    operators: [rm]
  - name: docs
    source: { provider: github, repository: acme/docs, connection: gh }
    triggers: { tags: { include: "*" } }
    environments: [{ name: site, branches: main }]
approvers:
  groups: { rm: [alice, bob] }
  identities:
    alice: { principals: ["arn:aws:iam::123456789012:user/alice"], git: { github: alice }, emails: [a@x.io] }
    bob: { principals: ["arn:aws:iam::123456789012:user/bob"], git: { github: bob }, emails: [b@x.io] }
`;

const [api, docs] = summarize(parseGantryConfig(YAML, 'g.yaml'));
if (api === undefined || docs === undefined) throw new Error('expected two pipelines');

describe('summarize', () => {
  it('follows a push to the environment a run would pick, with an example branch of each', () => {
    expect(api.environments.map((e) => [e.name, e.example])).toEqual([
      ['dev', 'develop'],
      ['prod', 'release/x'],
      ['hotfix', null],
    ]);
    expect(api.buildOnlyExample).toBe('main');
  });

  it('expands approver groups into people and names deploy targets', () => {
    expect(api.environments[1]).toMatchObject({
      approval: { minApprovals: 2, approverGroups: ['rm'], approvers: ['alice', 'bob'], timeoutMinutes: 90 },
      deploy: { kind: 'ecs', target: 'main/api', strategy: 'canary 20% for 3 min', bakeMinutes: 5 },
    });
  });
});

describe('describePipeline', () => {
  const text = describePipeline(api).join('\n');

  it('shows each trigger, then per environment its branches, approval and deploy target', () => {
    expect(text).toContain('api: github acme/api (connection gh)');
    expect(text).toContain('push to develop, main, release/*, feature/* except feature/wip-*');
    expect(text).toMatch(/^ {4}BRANCHES\s+ENVIRONMENT\s+APPROVAL\s+DEPLOY$/m);
    expect(text).toMatch(/^ {4}develop\s+dev\s+none\s+lambda api-dev:live via api\/dev, AllAtOnce, bake 0 min$/m);
    expect(text).toMatch(
      /^ {4}release\/\*\s+prod\s+2 of rm \(alice, bob\), not the author or pusher, within 90 min\s+ecs main\/api via api\/prod, canary 20% for 3 min, bake 5 min$/m,
    );
    expect(text).toMatch(/^ {4}hotfix\/\* \(no push reaches it\)\s+hotfix\s+none\s+none \(build and gates only\)$/m);
    expect(text).toMatch(/^ {4}any other\s+-\s+-\s+build and gates only \(e\.g\. main\)$/m);
    expect(text).toContain('tags v*: build and gates, never deploy');
    expect(text).toContain('pull requests into main: untrusted build and gates, never deploy; forks built');
    expect(text).toContain('concurrency queued; operators rm');
  });

  it('says when a pipeline has environments but no push trigger to reach them', () => {
    expect(describePipeline(docs)).toContain('  no push trigger: environments site never receive a run');
  });
});
