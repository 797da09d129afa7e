import { Template } from 'aws-cdk-lib/assertions';
import { buildGantryApp, type GantryApp } from '../../infra/app';
import { parseGantryConfig } from '../../infra/config/load';
import type { GantryConfig } from '../../infra/config/schema';
import { TemplateResolver } from '../../local/template/resolver';

/** The config the tests synthesize: two connections, two pipelines on one of them. */
export const TEST_CONFIG_YAML = `
connections:
  - name: github-acme
    provider: github
  - name: gitlab-internal
    provider: gitlab
    secretName: custom/gitlab-secret
    apiUrl: https://gitlab.internal.example.com/api/v4
pipelines:
  - name: widgets
    source: { provider: github, repository: acme/widgets, connection: github-acme }
    triggers:
      push: { branches: [develop, main, release/*] }
      pullRequests: { targetBranches: main }
    build: { secrets: { NPM_TOKEN: ci/npm-token }, gatedSecrets: { SIGNING_KEY: 'ci/release-signing:key' } }
    gates: { requireTestsPassed: true, minLineCoverage: 80 }
    environments:
      - name: dev
        branches: develop
        deploy:
          application: widgets
          deploymentGroup: dev
          lambda: { function: widgets-dev }
          strategy: { canary: { percent: 20, minutes: 3 } }
          bakeMinutes: 2
          timeoutMinutes: 30
      - name: prod
        branches: release/*
        approval: { required: true, approverGroups: [releasers], timeoutMinutes: 60 }
        deploy:
          application: widgets
          deploymentGroup: prod
          lambda: { function: widgets-prod }
  - name: gadgets
    source: { provider: github, repository: acme/gadgets, connection: github-acme }
    triggers: { tags: { include: 'v*' } }
approvers:
  groups: { releasers: [carol] }
  identities:
    carol: { principals: ['arn:aws:iam::123456789012:user/carol'], git: { github: carol } }
`;

/**
 * The test config with the control plane pinned to `home` in `region`, and each of widgets'
 * environments named in `targets` released into the account given.
 */
export function multiAccountYaml(
  home: string,
  region: string,
  targets: Readonly<Record<string, string>>,
  yaml = TEST_CONFIG_YAML,
): string {
  let out = `controlPlane: { account: '${home}', region: ${region} }\n${yaml}`;
  for (const [environment, account] of Object.entries(targets))
    out = out.replace(
      `        deploy:\n          application: widgets\n          deploymentGroup: ${environment}`,
      `        deploy:\n          account: '${account}'\n          application: widgets\n          deploymentGroup: ${environment}`,
    );
  return out;
}

export function testConfig(yaml = TEST_CONFIG_YAML): GantryConfig {
  return parseGantryConfig(yaml, 'test.yaml');
}

/**
 * The Gantry app with bundling skipped (assertions read templates, not bundles), and without
 * CDK's built-in CloudFormation rules (~2.7 s a synthesis): `npm run synth` runs those in CI.
 */
export function synthGantry(
  config: GantryConfig = testConfig(),
  nag = false,
): GantryApp & { data$: Template; control$: Template } {
  const gantry = buildGantryApp({
    config,
    nag,
    builtinCloudFormationValidation: false,
    context: { 'aws:cdk:bundling-stacks': [] },
  });
  return { ...gantry, data$: Template.fromStack(gantry.data), control$: Template.fromStack(gantry.controlPlane) };
}

/** One state of a state machine's Amazon States Language, as the tests read it. */
export type AslState = Record<string, unknown> & {
  Type: string;
  Next?: string;
  End?: boolean;
  Catch?: { ErrorEquals: string[]; Next: string; ResultPath?: string }[];
  Retry?: Record<string, unknown>[];
  Resource?: string;
};

export interface Asl {
  StartAt: string;
  States: Record<string, AslState>;
}

/** The app's data and control-plane templates, their tokens resolvable (ARNs, names, URLs) as deployed. */
export function resolvedTemplates(gantry: GantryApp): TemplateResolver {
  const templates = [gantry.data, gantry.controlPlane].map((s) => ({
    stackName: s.stackName,
    template: gantry.app.synth().getStackByName(s.stackName).template,
  }));
  return new TemplateResolver(templates, {
    region: 'eu-west-1',
    accountId: '123456789012',
    edgeEndpoint: 'http://edge',
  });
}

/** Reads the control plane's state machines with their tokens resolved (ARNs, names), as deployed. */
export function stateMachineDefinitions(gantry: GantryApp & { control$: Template }) {
  const resolver = resolvedTemplates(gantry);
  const machines = Object.entries(gantry.control$.findResources('AWS::StepFunctions::StateMachine'));
  const asl = (id: string): Asl => JSON.parse(String(resolver.properties('GantryControlPlane', id).DefinitionString));
  return {
    /** Every state machine: its logical id and its ASL. */
    all: (): { id: string; asl: Asl }[] => machines.map(([id]) => ({ id, asl: asl(id) })),
    /** A state machine's ASL, by something its properties contain (its name, for a pipeline's). */
    named: (name: string): Asl => {
      const [id] = machines.find(([, r]) =>
        JSON.stringify((r as { Properties: unknown }).Properties).includes(name),
      ) ?? [''];
      return asl(id);
    },
  };
}
