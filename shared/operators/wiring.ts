import { SFNClient } from '@aws-sdk/client-sfn';
import { awsDeployDeps } from '../deploy/wiring';
import { type Observability, traced } from '../observability';
import { StateMachinePipelines } from '../pipelines/aws';
import type { OperatorDeps } from './actions';

/** The operator API's ports: the deploy ports plus each pipeline's configuration as deployed now. */
export function awsOperatorDeps(o11y: Observability, env: NodeJS.ProcessEnv = process.env): OperatorDeps {
  return { ...awsDeployDeps(o11y, env), pipelines: new StateMachinePipelines(traced(o11y.tracer, new SFNClient({}))) };
}
