import * as z from 'zod/mini';
import {
  AdmissionStateSchema,
  GateEvaluationSchema,
  type PipelineState,
  PipelineStateSchema,
  StartedRunSchema,
  statePath,
} from '../../../events';
import { resolvePlan } from '../../../shared/pipelines/plan';
import { type AslState, stateMachineDefinitions, synthGantry } from '../../support/cdk';
import { planRequest, sourceEvent } from '../../support/plans';

/** A run of `develop` (deploys to dev), as KeepPlan keeps it. */
function plan(): PipelineState['plan'] {
  return {
    ...resolvePlan(planRequest(sourceEvent({ branch: 'develop', ref: 'refs/heads/develop' }))),
    waitForTurn: false,
  };
}

const gates = {
  passed: true,
  reasons: [],
  metrics: {
    tests: { total: 12, failed: 0, skipped: 1 },
    lineCoverage: 91.5,
    findings: { error: 0, warning: 2, note: 0, critical: 0, high: 0 },
  },
};

describe('the pipeline state', () => {
  it('holds a run that deployed: every slot the states write on the way', () => {
    const state: PipelineState = {
      plan: plan(),
      build: {
        id: 'gantry-widgets:0b7e',
        status: 'SUCCEEDED',
        artifacts: 'arn:aws:s3:::gantry-artifacts/releases/widgets',
        logGroup: '/aws/codebuild/gantry-widgets',
        logStream: '0b7e',
        startTime: 1_767_225_600_000,
        endTime: '2026-01-01T00:05:00Z',
      },
      provenance: {
        value: { builderId: 'https://gantry.dev/builder/v1', subjects: 2, envelopeSha256: 'ab'.repeat(32) },
      },
      gates: { value: gates },
      deployTimeout: { Error: 'States.Timeout' },
      deployment: { value: { deploymentId: 'd-1', fromVersion: '3', toVersion: '4', target: 'widgets-dev:live' } },
      bake: { value: { alarms: ['widgets-dev-errors'] } },
    };
    expect(PipelineStateSchema.parse(state)).toEqual(state);
  });

  it('holds a run that failed: the failure, its stage, its summary and any error of the failure path', () => {
    const state: PipelineState = {
      plan: { ...plan(), waitForTurn: true },
      build: { id: 'none', status: 'NOT_BUILT' },
      approval: { approvedBy: ['carol'] },
      deployment: { deploymentId: 'd-2', fromVersion: null, toVersion: '1', target: 'widgets-dev:live' },
      failure: { Error: 'Gantry.BakeAlarm', Cause: 'alarm fired during the 5 min bake' },
      failedStage: 'deploy',
      summary: { value: { stage: 'deploy', error: 'Gantry.BakeAlarm', reason: 'deployment failed: alarm fired' } },
      reportError: { Error: 'Lambda.ServiceException', Cause: 'throttled' },
      releaseError: { Error: 'States.TaskFailed', Cause: '' },
    };
    expect(PipelineStateSchema.parse(state)).toEqual(state);
  });

  it('refuses a state without its plan, or with a stage no run has', () => {
    expect(PipelineStateSchema.safeParse({ gates: { value: gates } }).success).toBe(false);
    expect(PipelineStateSchema.safeParse({ plan: plan(), failedStage: 'packaging' }).success).toBe(false);
  });

  it('names each path by fields TypeScript checks against the state', () => {
    expect(statePath('plan')).toBe('$.plan');
    expect(statePath('plan', 'build', 'projectName')).toBe('$.plan.build.projectName');
    expect(statePath('gates', 'value', 'reasons')).toBe('$.gates.value.reasons');
    expect(statePath('deployment', 'value', 'deploymentId')).toBe('$.deployment.value.deploymentId');
    // @ts-expect-error: a misspelt field is a compile error
    expect(statePath('plan', 'bulid')).toBe('$.plan.bulid');
    // @ts-expect-error: so is a field of another slot
    expect(statePath('summary', 'reason')).toBe('$.summary.reason');
    // @ts-expect-error: and a path into an array
    expect(statePath('plan', 'build', 'env', 'name')).toBe('$.plan.build.env.name');
  });
});

/** The field `path` (`$.a.b`) names in `schema`, or undefined when the schema declares none there. */
function fieldAt(schema: z.ZodMiniType, path: readonly string[]): z.ZodMiniType | undefined {
  if (path.length === 0) return schema;
  if (
    schema instanceof z.ZodMiniOptional ||
    schema instanceof z.ZodMiniNullable ||
    schema instanceof z.ZodMiniDefault
  ) {
    return fieldAt(schema.def.innerType as z.ZodMiniType, path);
  }
  if (schema instanceof z.ZodMiniUnion) {
    return (schema.def.options as z.ZodMiniType[]).map((o) => fieldAt(o, path)).find((f) => f !== undefined);
  }
  const [head = '', ...rest] = path;
  if (schema instanceof z.ZodMiniObject && Object.hasOwn(schema.shape, head)) {
    return fieldAt(schema.shape[head] as z.ZodMiniType, rest);
  }
  return undefined;
}

/**
 * Every JSONPath a state reads or writes the state by (`$.…`, also inside intrinsic functions),
 * by the state and the field it stands in. Context-object paths (`$$.…`) are not the state's;
 * nor are ResultSelector's, which read the task's own result (`$.Payload`, `$.Build.Id`).
 */
function statePaths(states: Record<string, AslState>): { at: string; path: string }[] {
  const found: { at: string; path: string }[] = [];
  const visit = (value: unknown, at: string): void => {
    if (typeof value === 'string') {
      for (const m of value.matchAll(/(?<!\$)\$\.[A-Za-z_][\w.]*/g)) found.push({ at, path: m[0] });
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, `${at}[${i}]`);
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== 'ResultSelector') visit(v, `${at}.${k}`);
    }
  };
  for (const [name, state] of Object.entries(states)) {
    for (const [field, value] of Object.entries(state)) {
      if (!['Type', 'Next', 'Comment', 'Resource', 'ResultSelector'].includes(field)) visit(value, `${name}.${field}`);
    }
  }
  return found;
}

/** The paths of `found` that `schema` declares no field for. */
function undeclared(schema: z.ZodMiniType, found: { at: string; path: string }[]): string[] {
  return found
    .filter(({ path }) => fieldAt(schema, path.slice(2).split('.')) === undefined)
    .map((p) => `${p.at}: ${p.path}`);
}

describe('the synthesized state machines', () => {
  const machines = stateMachineDefinitions(synthGantry()).all();
  const pipelines = machines.filter(({ asl }) => asl.StartAt === 'ResolvePlan');
  const admissions = machines.filter(({ asl }) => asl.StartAt === 'NameRun');

  it('are found: a pipeline and its admission per pipeline of the config', () => {
    expect(pipelines).toHaveLength(2);
    expect(admissions).toHaveLength(2);
  });

  it('read and write the pipeline state only where PipelineStateSchema declares a field', () => {
    for (const { id, asl } of pipelines) {
      const found = statePaths(asl.States);
      expect(found.map((p) => p.path)).toEqual(
        expect.arrayContaining([
          '$.plan',
          '$.plan.build.projectName',
          '$.gates.value.reasons',
          '$.summary.value.reason',
        ]),
      );
      expect({ id, undeclared: undeclared(PipelineStateSchema, found) }).toEqual({ id, undeclared: [] });
    }
  });

  it('admit a change by the fields of its start only', () => {
    for (const { id, asl } of admissions) {
      const found = statePaths(asl.States);
      expect(found.map((p) => p.path)).toContain('$.source.eventId');
      expect({ id, undeclared: undeclared(AdmissionStateSchema, found) }).toEqual({ id, undeclared: [] });
    }
  });

  it('would catch a path nobody declared', () => {
    const states: Record<string, AslState> = {
      Check: { Type: 'Choice', Choices: [{ Variable: '$.gates.value.passd', BooleanEquals: true, Next: 'X' }] },
      Keep: { Type: 'Pass', Parameters: { 'plan.$': '$.plan', 'why.$': 'States.JsonToString($.bogus)' } },
      Task: { Type: 'Task', ResultSelector: { 'id.$': '$.Build.Id' }, ResultPath: '$.plan.build.env.name' },
    };
    expect(undeclared(PipelineStateSchema, statePaths(states))).toEqual([
      'Check.Choices[0].Variable: $.gates.value.passd',
      'Keep.Parameters.why.$: $.bogus',
      'Task.ResultPath: $.plan.build.env.name',
    ]);
  });

  it('keep in the plan slot what ResolvePlan answers, and in the gates slot what EvaluateGates answers', () => {
    expect(fieldAt(PipelineStateSchema, ['resolved', 'value'])).toBe(StartedRunSchema);
    expect(fieldAt(PipelineStateSchema, ['plan'])).toBe(StartedRunSchema);
    expect(fieldAt(PipelineStateSchema, ['gates', 'value'])).toBe(GateEvaluationSchema);
  });
});
